import Foundation
import Logging
import ServiceLifecycle

/// Submits jobs to Offload's queues from Swift and follows them, without HTTP: the
/// submitter's side of a ``JobDefinition``. One client per process is enough; its
/// connections are shared by every task and pipelined.
///
/// ```swift
/// let offload = try OffloadClient(redisURL: "redis://127.0.0.1:6379")
/// let job = try await offload.submit(Thumbnail.self, .init(width: 64), options: .init(queue: "images"))
/// let output = try await job.result(timeout: .seconds(30))
/// ```
///
/// It is a ServiceLifecycle `Service`: in a `ServiceGroup` it closes its connections on
/// graceful shutdown. Outside one, call ``shutdown()`` when done.
public final class OffloadClient: Service, Sendable {
    package let broker: Broker
    /// Reads and operates queues, jobs, workers and schedules.
    public let inspector: Inspector
    private let watcher: JobEventWatcher

    /// A client of the Offload installation at `redisURL`: `redis://[user:password@]host:port/db`,
    /// `redis+cluster://host:port[,host:port…]` for a Redis Cluster, or
    /// `redis+sentinel://host:port[,host:port…]/MASTER_NAME[/db]` for a Sentinel-managed
    /// primary (`rediss…` for TLS). Connects on first use; a bad URL throws
    /// `invalid_argument`, an unreachable Redis makes each call throw `redis_unavailable`.
    /// `keyPrefix` must match the workers' and the API's (`--key-prefix`). With
    /// `minReplicas` > 0 every submit waits until that many replicas confirm it
    /// (``JobOptions/minReplicas`` overrides it per submit).
    public convenience init(
        redisURL: String, keyPrefix: String = "offload", minReplicas: Int = 0, logger: Logger = Logger(label: "offload.client")
    ) throws(OffloadError) {
        try Validation.check(minReplicas, in: BrokerSettings.minReplicasRange, field: "min_replicas")
        var settings = BrokerSettings()
        settings.keyPrefix = keyPrefix
        settings.minReplicas = minReplicas
        self.init(broker: try Broker.connect(redisURL: redisURL, settings: settings, logger: logger))
    }

    package init(broker: Broker) {
        self.broker = broker
        self.inspector = Inspector(broker: broker)
        self.watcher = JobEventWatcher(inspector: inspector)
    }

    /// Waits for the service group's graceful shutdown, then closes the connections.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Returns when Redis answers; `redis_unavailable` when it does not (a readiness probe).
    public func ping() async throws(OffloadError) {
        try await broker.ping()
    }

    /// Closes the client's connections; calls made after it fail.
    public func shutdown() async {
        await broker.shutdown()
    }

    // MARK: Submit

    /// Enqueues one job of a definition, its input encoded as JSON. Refused with
    /// `unknown_job_type` when no worker serves the type (unless
    /// ``JobOptions/allowUnknownType``), `invalid_argument` for a bad option,
    /// `queue_full` past the queue's max depth, `redis_unavailable` when Redis is down.
    public func submit<Job: JobDefinition>(
        _ job: Job.Type, _ input: Job.Input, options: JobOptions = JobOptions()
    ) async throws(OffloadError) -> JobHandle<Job.Output> {
        let submission = options.submission(type: Job.name, payload: try Self.payload(input))
        return handle(try await broker.submit(submission))
    }

    /// Enqueues one job by type name with a JSON object payload; its result is untyped.
    public func submit(
        type: String, payload: JSONValue = .object([:]), options: JobOptions = JobOptions()
    ) async throws(OffloadError) -> JobHandle<JSONValue> {
        handle(try await broker.submit(options.submission(type: type, payload: try Self.payload(payload))))
    }

    /// Enqueues many jobs of one definition in a single Redis round trip (split into script
    /// calls of a few hundred). Each input gets its own outcome, in order: a refused job
    /// does not stop the others. Redis unreachable throws for the whole batch.
    public func submitBatch<Job: JobDefinition>(
        _ job: Job.Type, _ inputs: [Job.Input], options: JobOptions = JobOptions()
    ) async throws(OffloadError) -> [Result<JobHandle<Job.Output>, OffloadError>] {
        var submissions: [JobSubmission] = []
        submissions.reserveCapacity(inputs.count)
        for input in inputs { submissions.append(options.submission(type: Job.name, payload: try Self.payload(input))) }
        return try await broker.submit(batch: submissions).map { $0.map(handle) }
    }

    /// Enqueues many jobs of any types in one Redis round trip; results are untyped.
    public func submitBatch(_ jobs: [UntypedJob]) async throws(OffloadError) -> [Result<JobHandle<JSONValue>, OffloadError>] {
        var submissions: [JobSubmission] = []
        submissions.reserveCapacity(jobs.count)
        for job in jobs { submissions.append(job.options.submission(type: job.type, payload: try Self.payload(job.payload))) }
        return try await broker.submit(batch: submissions).map { $0.map(handle) }
    }

    // MARK: Follow and operate

    /// A handle to a job submitted elsewhere (over HTTP, by another process), typed by its
    /// definition. Nothing is read until the handle is used.
    public func handle<Job: JobDefinition>(forJob id: String, as job: Job.Type) -> JobHandle<Job.Output> {
        JobHandle(id: id, created: nil, client: self)
    }

    /// The job as it is now: state, attempts, progress, result or error.
    public func job(_ id: String) async throws(OffloadError) -> JobRecord {
        try await inspector.job(id)
    }

    /// The job once it has finished, or as it is when `timeout` passes. No polling: the
    /// wait follows the queue's event stream.
    public func wait(forJob id: String, timeout: Duration) async throws(OffloadError) -> JobRecord {
        try await watcher.waitUntilFinished(try await inspector.job(id), timeout: timeout)
    }

    /// Progress reports and state changes of the job until it finishes (then the sequence
    /// ends). Events before the call are not repeated; read ``job(_:)`` for the state.
    public func events(forJob id: String) -> AsyncThrowingStream<JobEvent, any Error> {
        guard let queue = JobID.queue(of: id) else {
            return AsyncThrowingStream { $0.finish(throwing: OffloadError(.notFound, "no job '\(id.prefix(200))'")) }
        }
        return watcher.events(forJob: id, queue: queue)
    }

    /// Cancels the job: a pending or scheduled job at once (returns `.cancelled`), a
    /// running one through its handler's context (returns `.active`). `conflict` when it
    /// has already finished.
    @discardableResult
    public func cancel(_ id: String) async throws(OffloadError) -> JobState {
        try await inspector.cancel(id)
    }

    /// Runs a dead or cancelled job again with fresh attempts; `conflict` in other states.
    public func retry(_ id: String) async throws(OffloadError) {
        try await inspector.retry(id)
    }

    // MARK: Helpers

    private func handle<Output>(_ submitted: SubmittedJob) -> JobHandle<Output> {
        JobHandle(id: submitted.id, created: submitted.created, duplicate: submitted.duplicate, client: self)
    }

    /// Payloads are JSON objects, as the API requires. Keys are sorted so the same input
    /// always makes the same text (an idempotency key compares it).
    static func payload(_ input: some Encodable) throws(OffloadError) -> String {
        let data: Data
        do {
            data = try Self.encoder.encode(input)
        } catch {
            throw OffloadError(.invalid, "the input does not encode as JSON: \(error)")
        }
        guard data.first == UInt8(ascii: "{") else {
            throw OffloadError(.invalid, "the input must encode as a JSON object, not \(String(decoding: data.prefix(40), as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// One job of an untyped batch: a type name, a JSON object payload and its options.
public struct UntypedJob: Sendable, Hashable {
    /// The job's type, as a worker publishes it.
    public var type: String
    /// A JSON object, handed to the handler as its input.
    public var payload: JSONValue
    public var options: JobOptions

    /// One job of an untyped batch.
    public init(type: String, payload: JSONValue = .object([:]), options: JobOptions = JobOptions()) {
        self.type = type
        self.payload = payload
        self.options = options
    }
}
