import ArgumentParser
import Foundation
import Logging
import Offload

/// `--redis-url` and `--key-prefix`, the options by which `offload-api`, `offload-worker`
/// and `offload` find their Redis and their keys in it, declared once for all three.
package struct RedisOptions: ParsableArguments {
    @Option(name: .long, help: "Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379).")
    package var redisURL: String?

    @Option(name: .long, help: "Key prefix in Redis.")
    package var keyPrefix = "offload"

    package init() {}

    /// `--redis-url`, else `$REDIS_URL`, else the local default.
    package var resolvedRedisURL: String {
        redisURL ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? Broker.defaultRedisURL
    }

    /// The broker these options name, through the engine's one way to connect
    /// (``Broker/connect(redisURL:settings:logger:connectTimeout:poolSize:)``); `settings`
    /// gets the key prefix. A bad URL is `invalid_argument` naming `--redis-url`.
    package func connectBroker(
        settings: BrokerSettings = BrokerSettings(), logger: Logger, connectTimeout: Duration? = nil, poolSize: Int? = nil
    ) throws(OffloadError) -> Broker {
        var settings = settings
        settings.keyPrefix = keyPrefix
        do {
            return try Broker.connect(
                redisURL: resolvedRedisURL, settings: settings, logger: logger, connectTimeout: connectTimeout, poolSize: poolSize)
        } catch {
            throw error.namingField(Self.flagNames)
        }
    }

    /// The engine's field names as these options spell them.
    package static let flagNames = ["redis_url": "--redis-url", "key_prefix": "--key-prefix"]
}
