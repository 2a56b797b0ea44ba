import Offload

/// The jobs' timed duties, each when it is due (`DutyTimer`): renew all leases (one script
/// call per queue) once some lease is a third gone, however short it is, and learn of
/// cancellations and lost leases that way; end soft timeouts; hand back jobs claimed ahead
/// that waited too long for a slot (they are for a steady flow of short jobs; when slots
/// stay busy, other workers should have them). A duty that could not be done (Redis
/// unreachable) is tried again in 50 ms. It runs in a task apart from the job threads, so
/// CPU work cannot starve it.
final class LeaseWatchdog: Sendable {
    private let broker: Broker
    private let running: RunningJobs
    private let claimedAhead: ClaimedAhead
    private let duties: DutyTimer
    private let claimedAheadMaxWait: Duration
    private let clock: AnyClock

    init(broker: Broker, running: RunningJobs, claimedAhead: ClaimedAhead, duties: DutyTimer, claimedAheadMaxWait: Duration, clock: AnyClock) {
        self.broker = broker
        self.running = running
        self.claimedAhead = claimedAhead
        self.duties = duties
        self.claimedAheadMaxWait = claimedAheadMaxWait
        self.clock = clock
    }

    /// Until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            let seen = duties.changes
            let now = clock.now
            if running.needsHeartbeat(at: now) { await heartbeat() }
            for context in running.takeSoftTimeouts(at: now) { context.cancel(reason: CancelReason.softTimeout) }
            await claimedAhead.handBack(claimedAhead.takeAll(ifOldestWaited: claimedAheadMaxWait), to: broker)
            await duties.wait(until: nextDuty(after: now), seen: seen)
        }
    }

    private func nextDuty(after now: AnyClock.Instant) -> AnyClock.Instant? {
        let due = [running.nextDue, claimedAhead.oldestSince.map { $0 + claimedAheadMaxWait }]
        return due.compactMap { $0 }.min().map { max($0, now + .milliseconds(50)) }
    }

    /// Extends the lease of every running and claimed-ahead job; learns which were
    /// cancelled or lost.
    func heartbeat() async {
        let renewedAt = clock.now
        let jobs = running.jobs + claimedAhead.jobs
        for (queue, queueJobs) in Dictionary(grouping: jobs, by: \.queue) {
            guard let (lost, cancel) = try? await broker.extendLeases(queue: queue, jobs: queueJobs) else { continue }
            claimedAhead.apply(lost: lost, cancel: cancel)
            running.apply(renewed: queueJobs, lost: lost, cancelled: cancel, at: renewedAt)
        }
    }
}
