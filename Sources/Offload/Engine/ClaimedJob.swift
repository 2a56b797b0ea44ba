/// A job leased to a worker. The token proves the lease: every later change the worker
/// makes (progress, complete, fail) is refused once the token no longer matches.
/// A class, immutable: a job is passed through many hands in a worker (the running table,
/// its context, progress, the result batch), and each would otherwise copy five strings.
package final class ClaimedJob: Sendable, Hashable {
    package let id: String
    package let queue: String
    package let type: String
    package let payload: String
    /// 1 for the first run.
    package let attempt: Int
    package let maxAttempts: Int
    package let timeoutSeconds: Int?
    package let leaseMilliseconds: Int
    package let token: String

    package init(
        id: String, queue: String, type: String, payload: String, attempt: Int, maxAttempts: Int,
        timeoutSeconds: Int?, leaseMilliseconds: Int, token: String
    ) {
        self.id = id
        self.queue = queue
        self.type = type
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.leaseMilliseconds = leaseMilliseconds
        self.token = token
    }

    package static func == (left: ClaimedJob, right: ClaimedJob) -> Bool {
        left.id == right.id && left.queue == right.queue && left.type == right.type && left.payload == right.payload
            && left.attempt == right.attempt && left.maxAttempts == right.maxAttempts
            && left.timeoutSeconds == right.timeoutSeconds && left.leaseMilliseconds == right.leaseMilliseconds
            && left.token == right.token
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(token)
    }
}

/// The answer to a claim: jobs, or when to look again.
package struct ClaimResult: Sendable {
    package var jobs: [ClaimedJob]
    /// When the earliest scheduled job of the queue is due (ms), if any.
    package var nextDueMilliseconds: Int64?
    package var paused: Bool
}

/// Where a failed run went.
package enum FailOutcome: String, Sendable {
    /// Waiting for its retry.
    case scheduled
    case dead
    case cancelled
    /// The worker no longer held the lease; nothing was changed.
    case lost
}

/// What the worker asks of a failed run.
package enum FailDisposition: String, Sendable {
    /// Retry if attempts remain, else dead.
    case retry
    /// Dead now, whatever the attempts (a permanent error).
    case dead
    /// The handler stopped because the job was cancelled.
    case cancel
}
