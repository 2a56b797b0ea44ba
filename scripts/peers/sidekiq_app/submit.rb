# Submits N no-op jobs with Sidekiq::Client.push_bulk (1,000 per call); prints the seconds.
require_relative "noop_worker"
n = Integer(ARGV.fetch(0, "50000"))
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times.each_slice(1000) { |slice| Sidekiq::Client.push_bulk("class" => NoopWorker, "args" => Array.new(slice.size) { [] }) }
puts Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
