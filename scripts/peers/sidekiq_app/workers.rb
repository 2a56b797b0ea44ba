# Sidekiq peer: the same work as Offload's test.noop, test.started-at and count-primes.
# Redis URL from REDIS_URL (Sidekiq's default). Results are not stored in Sidekiq, so the
# jobs the benchmark times write their own timestamps (CLOCK_REALTIME, seconds) to Redis
# lists: bench:started (start) and bench:times ("start end").
require "sidekiq"
require "logger"

# redis-rb 4.8 warns on every SADD of push_bulk unless told the new behaviour is wanted.
Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

Sidekiq.configure_server { |config| config.logger.level = Logger::WARN }
Sidekiq.configure_client { |config| config.logger.level = Logger::WARN }

def bench_now = Process.clock_gettime(Process::CLOCK_REALTIME)

class NoopWorker
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(*payload); end
end

class StartedAtWorker
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform
    start = bench_now
    Sidekiq.redis { |redis| redis.rpush("bench:started", start.to_s) }
  end
end

class CountPrimesWorker
  include Sidekiq::Worker
  sidekiq_options retry: false

  # Primes below `below`, a plain sieve of Eratosthenes.
  def self.primes_below(below)
    return 0 if below < 3
    sieve = Array.new(below, true)
    sieve[0] = sieve[1] = false
    i = 2
    while i * i < below
      if sieve[i]
        j = i * i
        while j < below
          sieve[j] = false
          j += i
        end
      end
      i += 1
    end
    sieve.count(true)
  end

  def perform(below)
    start = bench_now
    self.class.primes_below(below)
    finish = bench_now
    Sidekiq.redis { |redis| redis.rpush("bench:times", "#{start} #{finish}") }
  end
end
