# Sidekiq's own client for scripts/bench/clients.py, which drives it over stdin/stdout so
# that every push goes through Sidekiq::Client. One command a line, one answer a line:
#   noop N PAYLOAD_BYTES   push_bulk N no-op jobs, 1,000 a call (each with a JSON object of
#                          PAYLOAD_BYTES bytes as its argument when > 0) → seconds taken
#   primes BELOW COUNT     push_bulk COUNT count-primes jobs → the time just before the push
#   started_at             push one started-at job → the time just before the push
# Times are CLOCK_REALTIME seconds, comparable with the workers' timestamps.
require_relative "workers"

$stdout.sync = true
$stdin.each_line do |line|
  command, *args = line.split
  case command
  when "noop"
    n, bytes = Integer(args[0]), Integer(args[1])
    arg = bytes > 0 ? [{ "pad" => "x" * (bytes - 10) }] : []  # {"pad":"…"} is 10 bytes + the padding
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    n.times.each_slice(1000) { |slice| Sidekiq::Client.push_bulk("class" => NoopWorker, "args" => Array.new(slice.size) { arg }) }
    puts Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
  when "primes"
    below, count = Integer(args[0]), Integer(args[1])
    t0 = bench_now
    Sidekiq::Client.push_bulk("class" => CountPrimesWorker, "args" => Array.new(count) { [below] })
    puts t0
  when "started_at"
    t0 = bench_now
    StartedAtWorker.perform_async
    puts t0
  else
    abort "unknown command #{line.inspect}"
  end
end
