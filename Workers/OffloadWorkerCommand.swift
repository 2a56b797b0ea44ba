import ArgumentParser
import Foundation
import Logging
import OffloadCore
import OffloadRedis
import OffloadWorker
import ServiceLifecycle
import UnixSignals

/// `offload-worker`: runs the job handlers registered in `Jobs.swift`.
@main
struct OffloadWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offload-worker",
        abstract: "Run Offload jobs from Redis queues on dedicated threads."
    )

    @Option(name: .long, help: "Queues to take jobs from, with optional weights: high:3,default:1")
    var queues = "default"

    @Flag(name: .long, help: "Drain queues strictly in the order given instead of by weight.")
    var strict = false

    @Option(name: .long, help: "CPU-bound jobs run at once per process (one thread each).")
    var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(name: .long, help: "I/O-bound jobs run at once per process.")
    var ioConcurrency = 100

    @Option(name: .long, help: "Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379).")
    var redisURL: String?

    @Option(name: .long, help: "Seconds running jobs get to finish after SIGTERM.")
    var graceSeconds = 30

    @Option(name: .long, help: "Default lease of a job in milliseconds (a job's own lease_ms wins).")
    var leaseMs = 30_000

    @Flag(name: .long, help: "Also serve the diagnostic job types test.* (for tests and demos).")
    var enableTestJobs = false

    @Option(name: .long, help: "Key prefix in Redis.")
    var keyPrefix = "offload"

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard ioConcurrency >= 1 else { throw ValidationError("--io-concurrency must be at least 1") }
        guard graceSeconds >= 0 else { throw ValidationError("--grace-seconds must not be negative") }
        guard BrokerSettings.leaseRange.contains(leaseMs) else { throw ValidationError("--lease-ms must be in \(BrokerSettings.leaseRange)") }
        do {
            for queue in try QueueWeight.parseList(queues) where !Validation.isQueueName(queue.name) {
                throw ValidationError("invalid queue name '\(queue.name)'")
            }
        } catch let error as WorkerConfigurationError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "offload.worker")
        logger.logLevel = .info

        let url = redisURL ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? RedisConfiguration.defaultURL
        let redis = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
        var settings = BrokerSettings()
        settings.keyPrefix = keyPrefix
        settings.defaultLeaseMilliseconds = leaseMs
        let broker = Broker(redis: redis, settings: settings)

        var configuration = WorkerConfiguration()
        configuration.queues = try QueueWeight.parseList(queues)
        configuration.strictOrder = strict
        configuration.concurrency = concurrency
        configuration.ioConcurrency = ioConcurrency
        configuration.gracePeriod = .seconds(graceSeconds)

        let runtime = WorkerRuntime(
            broker: broker, registry: Jobs.registry(includeTestJobs: enableTestJobs), configuration: configuration,
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await redis.shutdown()
    }
}
