import Logging
import NIOConcurrencyHelpers
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// One test's worker: a real `WorkerRuntime` in this process, on the shared test Redis
/// under a key prefix of its own, serving `held` and `quick` jobs from queue `q`, its time
/// moved only by the test (`time`), both the runtime's clock and the engine's.
final class RuntimeHarness: Sendable {
    static let queue = "q"

    let time = TestTime()
    let held = HeldJobs()
    let redis: RedisClient
    /// The runtime's broker, on the test's wall clock; the test submits and looks through it too.
    let broker: Broker
    let inspector: Inspector
    let configuration: WorkerConfiguration
    let runtime: WorkerRuntime
    /// What the runtime told its supervisor, when the harness plays one.
    let reports: ReportPipe?
    private let running = NIOLockedValueBox<Task<Void, any Error>?>(nil)

    init(withSupervisorPipe: Bool = false, _ configure: (inout WorkerConfiguration) -> Void = { _ in }) throws {
        redis = try RedisClient.forTests(url: TestRedis.url)
        var settings = BrokerSettings()
        settings.keyPrefix = TestRedis.uniquePrefix("worker")
        broker = Broker(redis: redis, settings: settings, clock: time.wall)
        inspector = Inspector(broker: broker)
        var registry = JobRegistry()
        registry.register(HeldJob(jobs: held))
        registry.register(QuickJob())
        var configuration = WorkerConfiguration()
        configuration.queues = [QueueWeight(name: Self.queue)]
        configuration.concurrency = 1
        configuration.workerID = "test-worker-\(settings.keyPrefix)"
        configure(&configuration)
        self.configuration = configuration
        reports = withSupervisorPipe ? try ReportPipe() : nil
        var logger = Logger(label: "offload.worker.test")
        logger.logLevel = .warning
        runtime = WorkerRuntime(
            broker: broker, registry: registry, configuration: configuration, logger: logger, reportChannel: reports?.channel,
            clock: time.monotonic)
    }

    /// Runs the runtime; returns once it is up (its maintenance went to sleep after a first round).
    func start() async throws {
        startRunning()
        try await time.monotonic.waitForSleepers("the worker is up") { [reapInterval = configuration.reapInterval] deadlines in
            deadlines.contains(TestClock.Instant(offset: reapInterval))
        }
    }

    /// Runs the runtime without waiting for it to be up.
    func startRunning() {
        running.withLockedValue { $0 = Task { [runtime] in try await runtime.run() } }
    }

    /// Returns once the runtime's `run` returned: after a stop and its drain, or on its own.
    func waitUntilStopped(timeout: Duration = .seconds(30)) async throws {
        let task = running.withLockedValue { $0 }
        let done = NIOLockedValueBox(false)
        let waiter = Task {
            _ = try? await task?.value
            done.withLockedValue { $0 = true }
        }
        defer { waiter.cancel() }
        try await waitUntil("the worker stops", timeout: timeout) { done.withLockedValue { $0 } }
    }

    /// Lets every handler finish, stops the runtime and closes the connection.
    func close() async throws {
        held.releaseAll()
        runtime.beginShutdown()
        try await waitUntilStopped()
        await redis.shutdown()
    }

    @discardableResult
    func submit(_ type: String = HeldJob.name, payload: String = "{}", _ configure: (inout JobSubmission) -> Void = { _ in }) async throws -> String {
        var submission = JobSubmission(type: type, payload: payload, queue: Self.queue, allowUnknownType: true)
        configure(&submission)
        return try await broker.submit(submission).id
    }

    func job(_ id: String) async throws -> JobRecord {
        try await inspector.job(id)
    }

    func waitForState(_ state: JobState, of id: String) async throws -> JobRecord {
        try await waitUntil("\(id) is \(state.rawValue)") { try await job(id).state == state }
        return try await job(id)
    }

    /// When the lease of an active job ends (ms on the wall clock), as Redis stores it.
    func leaseDeadline(_ id: String) async throws -> Int64? {
        try await redis.send("ZSCORE", .string(broker.keys.queue(Self.queue).active), .string(id)).string.flatMap { Int64($0) }
    }
}
