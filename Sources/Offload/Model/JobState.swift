/// Where a job is in its life:
/// `scheduled → pending → active → completed`, `active → scheduled (retry) → … → dead`,
/// and `cancelled`. A job waiting for a retry is `scheduled`.
public enum JobState: String, Sendable, Codable, CaseIterable, Hashable {
    /// Waiting for its time: delayed, or between retries.
    case scheduled
    /// Ready for a worker.
    case pending
    /// Running under a worker's lease.
    case active
    /// Finished with a result.
    case completed
    /// Out of attempts, or failed permanently; its last error is kept.
    case dead
    /// Cancelled before or while it ran.
    case cancelled

    /// Completed, dead or cancelled: nothing more happens unless it is retried.
    public var isFinished: Bool {
        switch self {
        case .completed, .dead, .cancelled: return true
        case .scheduled, .pending, .active: return false
        }
    }
}
