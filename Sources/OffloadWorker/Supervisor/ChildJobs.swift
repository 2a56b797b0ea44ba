import Offload

/// The jobs a worker child runs, as its reports tell the supervisor, and which of them
/// overran its hard timeout: timed from the report that its handler started until the one
/// that it returned (the storing of its outcome is not the handler hanging). Generic over
/// the instant, so tests move time by hand.
struct ChildJobs<Instant: InstantProtocol> where Instant.Duration == Duration {
    struct Tracked {
        let job: ClaimedJob
        let startedAt: Instant
        /// Its handler returned; only its outcome is still on the way to Redis.
        var handlerReturned = false
    }

    private(set) var byID: [String: Tracked] = [:]

    var count: Int { byID.count }

    /// Applies a report received at `now`; reports about the child itself are not for here.
    mutating func apply(_ report: WorkerReport, at now: Instant) {
        switch report {
        case let .started(queue, id, token, attempt, maxAttempts, timeout, lease):
            let job = ClaimedJob(
                id: id, queue: queue, type: "", payload: "", attempt: attempt, maxAttempts: maxAttempts,
                timeoutSeconds: timeout, leaseMilliseconds: lease, token: token)
            byID[id] = Tracked(job: job, startedAt: now)
        case .ran(let id):
            byID[id]?.handlerReturned = true
        case .ended(let id):
            byID[id] = nil
        case .hello, .retiring:
            break
        }
    }

    /// A job whose handler has run longer than its timeout and `margin` at `now`, if any.
    func overrunningHardTimeout(at now: Instant, margin: Duration) -> Tracked? {
        byID.values.first { tracked in
            guard !tracked.handlerReturned, let timeout = tracked.job.timeoutSeconds else { return false }
            return tracked.startedAt.duration(to: now) > .seconds(timeout) + margin
        }
    }
}
