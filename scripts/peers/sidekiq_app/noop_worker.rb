# Sidekiq peer: a no-op worker class. Redis URL from REDIS_URL (Sidekiq's default).
require "sidekiq"
require "logger"

# redis-rb 4.8 warns on every SADD of push_bulk unless told the new behaviour is wanted.
Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

Sidekiq.configure_server { |config| config.logger.level = Logger::WARN }
Sidekiq.configure_client { |config| config.logger.level = Logger::WARN }

class NoopWorker
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform; end
end
