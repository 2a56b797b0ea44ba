import Logging
import OffloadRedis

extension Broker {
    /// Where Redis is when nothing says otherwise.
    package static let defaultRedisURL = RedisConfiguration.defaultURL

    /// The one way a front end reaches its Redis: the URL parsed (a bad one is
    /// `invalid_argument` naming `redis_url`), a pooled client that connects on first use,
    /// and a broker on it. `connectTimeout` and `poolSize` override the client's defaults
    /// (a one-shot command wants to fail fast on one connection).
    package static func connect(
        redisURL: String, settings: BrokerSettings = BrokerSettings(), logger: Logger,
        connectTimeout: Duration? = nil, poolSize: Int? = nil
    ) throws(OffloadError) -> Broker {
        var configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: redisURL)
        } catch {
            throw OffloadError(invalid: "redis_url", "is not usable: \(error.description)")
        }
        if let connectTimeout { configuration.connectTimeout = connectTimeout }
        if let poolSize { configuration.poolSize = poolSize }
        return Broker(redis: RedisClient(configuration: configuration, logger: logger), settings: settings)
    }

    /// Returns when Redis answers.
    package func ping() async throws(OffloadError) {
        _ = try await send("PING")
    }

    /// Closes the broker's connections; calls made after it fail.
    package func shutdown() async {
        await redis.shutdown()
    }
}
