/// Holds back a second job with the same key in the same queue while the first one waits
/// (and, by its scope, runs): such a submit is answered with the holder's id, marked as a
/// duplicate, and enqueues nothing.
///
/// The key is freed when its scope ends, when the job is cancelled or dies, and by its
/// TTL as the last resort, so no lock outlives its job. Unlike an idempotency key it does
/// not name the job after that: the next submit with the key makes a new job.
public struct UniqueJob: Sendable, Hashable {
    /// When the key is freed.
    public enum Scope: String, Sendable, Hashable, CaseIterable, Codable {
        /// When a worker starts the job: one waiting at a time, a new one may wait while
        /// it runs.
        case untilStarted = "until_started"
        /// When the job ends: completed, dead or cancelled (not between its retries).
        case untilFinished = "until_finished"
    }

    /// 1-256 bytes, per queue: the same key in two queues holds two jobs.
    public var key: String
    public var scope: Scope
    /// The key goes after this long even while its job waits: a bound for a job that
    /// never ends. Whole seconds (rounded up), 1 second to 30 days; default 24 hours.
    public var ttl: Duration

    public init(key: String, scope: Scope = .untilFinished, ttl: Duration = .seconds(Self.defaultTTLSeconds)) {
        self.key = key
        self.scope = scope
        self.ttl = ttl
    }

    public static let defaultTTLSeconds = 86_400
    package static let ttlRange = 1...(30 * 86_400)

    /// The TTL in whole seconds, rounded up, so the lock is never shorter than asked.
    package var ttlSeconds: Int { JobOptions.wholeSeconds(ttl) }

    /// Throws `invalid_argument` naming `unique.key` or `unique.ttl_seconds`.
    package func validate() throws(OffloadError) {
        guard (1...256).contains(key.utf8.count) else { throw OffloadError(invalid: "unique.key", "must be 1-256 bytes") }
        try Validation.check(ttlSeconds, in: Self.ttlRange, field: "unique.ttl_seconds")
    }
}
