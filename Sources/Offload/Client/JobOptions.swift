import Foundation

/// How one submit is enqueued: queue, priority, timing, retries, idempotency.
/// Every field has the default the HTTP API uses when a body leaves it out.
public struct JobOptions: Sendable, Hashable {
    /// The queue, 1-64 characters of letters, digits, `_` and `-`.
    public var queue: String
    /// Higher runs first within the queue; -1000...1000.
    public var priority: Int
    /// Run no earlier than this long from now (up to a year). Exclusive with `runAt`.
    public var delay: Duration?
    /// Run no earlier than this time. Exclusive with `delay`.
    public var runAt: Date?
    /// Runs in all, including the first; 1 means no retry (default: the engine's, 3).
    public var maxAttempts: Int?
    /// Hard limit of one run, in whole seconds (rounded up); the worker's supervisor
    /// kills a run that exceeds it.
    public var timeout: Duration?
    /// How long the result is kept after the job finishes (default: 24 hours).
    public var resultTTL: Duration?
    /// How long a worker's lease lasts without a heartbeat.
    public var lease: Duration?
    /// Submits with the same key to the same queue return the first job while the key
    /// lives (24 hours). The same key with another type or payload is refused.
    public var idempotencyKey: String?
    /// While another job of the queue holds this key (by its scope), the submit returns
    /// that job (``JobHandle/duplicate`` true) and enqueues nothing.
    public var unique: UniqueJob?
    /// Enqueue even when no worker serves the type yet, e.g. an app deployed before its
    /// workers. By default such a submit is refused with `unknown_job_type`, as the HTTP
    /// API answers 422.
    public var allowUnknownType: Bool
    /// Accept the submit only once this many Redis replicas confirm they have it (`WAIT`),
    /// so a failover right after cannot lose it; otherwise `unavailable` (the job may exist
    /// anyway: retry with an `idempotencyKey`). Nil: the client's `minReplicas`.
    public var minReplicas: Int?

    /// Options of one submit; every argument left out takes the API's default.
    public init(
        queue: String = "default", priority: Int = 0, delay: Duration? = nil, runAt: Date? = nil, maxAttempts: Int? = nil,
        timeout: Duration? = nil, resultTTL: Duration? = nil, lease: Duration? = nil, idempotencyKey: String? = nil,
        unique: UniqueJob? = nil, allowUnknownType: Bool = false, minReplicas: Int? = nil
    ) {
        self.queue = queue
        self.priority = priority
        self.delay = delay
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.timeout = timeout
        self.resultTTL = resultTTL
        self.lease = lease
        self.idempotencyKey = idempotencyKey
        self.unique = unique
        self.allowUnknownType = allowUnknownType
        self.minReplicas = minReplicas
    }

    /// The engine's submission of `type` with `payload` (JSON object text).
    func submission(type: String, payload: String) -> JobSubmission {
        JobSubmission(
            type: type, payload: payload, queue: queue, priority: priority, delaySeconds: delay.map(Self.seconds),
            runAtMilliseconds: runAt.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }, maxAttempts: maxAttempts,
            timeoutSeconds: timeout.map(Self.wholeSeconds), resultTTLSeconds: resultTTL.map(Self.wholeSeconds),
            leaseMilliseconds: lease.map { Int((Self.seconds($0) * 1000).rounded(.up)) }, idempotencyKey: idempotencyKey,
            unique: unique, allowUnknownType: allowUnknownType, minReplicas: minReplicas)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Rounded up, so a limit is never shorter than asked; clamped so a huge value fails
    /// validation by its range instead of overflowing.
    static func wholeSeconds(_ duration: Duration) -> Int {
        Int(min(Self.seconds(duration).rounded(.up), Double(Int32.max)))
    }
}
