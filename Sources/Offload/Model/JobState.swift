/// Where a job is in its life:
/// `scheduled → pending → active → completed`, `active → scheduled (retry) → … → dead`,
/// and `cancelled`. A job waiting for a retry is `scheduled`.
public enum JobState: String, Sendable, Codable, CaseIterable, Hashable {
    case scheduled
    case pending
    case active
    case completed
    case dead
    case cancelled

    /// Completed, dead or cancelled: nothing more happens unless it is retried.
    public var isFinished: Bool {
        switch self {
        case .completed, .dead, .cancelled: return true
        case .scheduled, .pending, .active: return false
        }
    }
}
