import ArgumentParser
import Foundation
import Hummingbird
import Metrics
import Offload
import OffloadCommandLine
import OffloadHTTP
import Prometheus

/// `offload-api`: the OffloadHTTP product served on its own.
@main
struct OffloadAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offload-api",
        abstract: "Serve Offload's HTTP API: submit jobs, read results, operate queues."
    )

    @Option(name: .long, help: "Address to listen on.")
    var host = ProcessInfo.processInfo.environment["HOST"] ?? "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (default: $PORT or 8080).")
    var port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080

    @OptionGroup var redis: RedisOptions

    @OptionGroup var replication: ReplicationOptions

    func run() async throws {
        OffloadLogging.bootstrap()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let environment = ProcessInfo.processInfo.environment
        var configuration = APIConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.redisURL = redis.resolvedRedisURL
        configuration.keyPrefix = redis.keyPrefix
        let replicas = try replication.resolved()
        configuration.minReplicas = replicas.replicas
        configuration.minReplicasTimeout = .milliseconds(replicas.timeoutMilliseconds)
        configuration.http.apiToken = environment["OFFLOAD_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let bytes = environment["OFFLOAD_MAX_BODY_BYTES"].flatMap(Int.init), bytes > 0 { configuration.http.maxBodyBytes = bytes }
        do {
            try await buildApplication(configuration: configuration, metricsRegistry: registry).runService()
        } catch let error as OffloadError where error.code == .invalid {
            throw ValidationError(error.message)  // a bad --redis-url: usage, exit code 64
        }
    }
}
