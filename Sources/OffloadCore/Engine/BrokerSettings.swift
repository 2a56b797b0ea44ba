/// Engine-wide defaults; a job's own options override the per-job ones.
public struct BrokerSettings: Sendable, Hashable {
    /// First part of every key, so several deployments (or tests) can share one Redis.
    public var keyPrefix = "offload"
    public var defaultMaxAttempts = 3
    public var defaultLeaseMilliseconds = 30_000
    public var defaultResultTTLSeconds = 86_400
    public var idempotencyTTLSeconds = 86_400
    /// Retry backoff: a random delay in [0, min(cap, base · 2^(attempt-1))] ("full jitter").
    public var retryBaseMilliseconds = 1_000
    public var retryCapMilliseconds = 3_600_000
    /// The dead set keeps at most this many jobs, none older than the age.
    public var deadMaxCount = 10_000
    public var deadMaxAgeMilliseconds: Int64 = 30 * 86_400_000
    /// Approximate length each queue's event stream is trimmed to.
    public var eventsMaxLength = 10_000

    public static let leaseRange = JobSubmission.leaseRange

    public init() {}
}
