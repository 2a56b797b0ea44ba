/// Engine-wide defaults; a job's own options override the per-job ones.
package struct BrokerSettings: Sendable, Hashable {
    /// First part of every key, so several deployments (or tests) can share one Redis.
    package var keyPrefix = "offload"
    package var defaultMaxAttempts = 3
    package var defaultLeaseMilliseconds = 30_000
    package var defaultResultTTLSeconds = 86_400
    package var idempotencyTTLSeconds = 86_400
    /// Retry backoff: a random delay in [0, min(cap, base · 2^(attempt-1))] ("full jitter").
    package var retryBaseMilliseconds = 1_000
    package var retryCapMilliseconds = 3_600_000
    /// The dead set keeps at most this many jobs, none older than the age.
    package var deadMaxCount = 10_000
    package var deadMaxAgeMilliseconds: Int64 = 30 * 86_400_000
    /// Approximate length each queue's event stream is trimmed to.
    package var eventsMaxLength = 10_000
    /// Replication a write needs before it counts (`--min-replicas`): a submit is accepted,
    /// and a worker's result stored, only once `WAIT` confirms this many replicas have it.
    /// 0: the primary's answer is enough (replication stays asynchronous).
    package var minReplicas = 0
    /// How long one `WAIT` may take before the write counts as unconfirmed.
    package var minReplicasTimeoutMilliseconds = 500

    package static let minReplicasRange = 0...64
    package static let minReplicasTimeoutRange = 1...60_000

    package static let leaseRange = JobSubmission.leaseRange

    package init() {}
}
