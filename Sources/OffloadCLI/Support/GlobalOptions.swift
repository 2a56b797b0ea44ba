import ArgumentParser
import Foundation
import Offload
import OffloadRedis

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379).")
    var redisURL: String?

    @Option(name: .long, help: "Key prefix in Redis.")
    var keyPrefix = "offload"

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false

    /// Runs `body` with an inspector and maps any error to a message and an exit code.
    func withInspector<T>(_ body: (Inspector) async throws(OffloadError) -> T) async throws -> T {
        let url = redisURL ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? RedisConfiguration.defaultURL
        let configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: url)
        } catch {
            throw CLIFailure(OffloadError(.invalid, error.description))
        }
        var short = configuration
        short.connectTimeout = .seconds(2)
        short.poolSize = 1
        let redis = RedisClient(configuration: short)
        var settings = BrokerSettings()
        settings.keyPrefix = keyPrefix
        let inspector = Inspector(broker: Broker(redis: redis, settings: settings))
        do {
            let result = try await body(inspector)
            await redis.shutdown()
            return result
        } catch {
            await redis.shutdown()
            throw CLIFailure(error)
        }
    }
}
