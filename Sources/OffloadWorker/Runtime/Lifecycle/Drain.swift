import Logging
import Offload

/// After claiming stopped: running jobs get the grace period, counted from the stop
/// request, to finish, and their outcomes time to reach Redis; what is still running then
/// is told to stop and handed back to pending at once, so another worker runs it without
/// waiting out its lease (and without spending an attempt).
struct Drain: Sendable {
    let broker: Broker
    let executor: JobExecutor
    let running: RunningJobs
    let outcomes: OutcomeStore
    let stop: StopRequest
    let gracePeriod: Duration
    let clock: AnyClock
    let logger: Logger

    /// Outcomes of handlers that returned in time get at least this long to be stored,
    /// however little of the grace period is left.
    static let outcomeAllowance: Duration = .seconds(5)

    func run() async {
        let deadline = (stop.requestedAt ?? clock.now) + gracePeriod
        let (cpuSlots, ioSlots) = (executor.cpuSlots, executor.ioSlots)
        let finished = await clock.value(before: deadline) {
            await cpuSlots.waitUntilIdle()
            await ioSlots.waitUntilIdle()
            return cpuSlots.inUse == 0 && ioSlots.inUse == 0
        }
        if finished == true {
            // Handlers are done; let their outcomes reach Redis before the process exits.
            let outcomes = outcomes
            _ = await clock.value(before: max(deadline, clock.now + Self.outcomeAllowance)) { await outcomes.waitUntilAllStored() }
            return
        }
        for item in running.newestFirst {
            // Handed back before the handler is told: told first, it could store its
            // interruption as a failed attempt before the job is back.
            running.markHandingBack(item.job.id)
            let released = (try? await broker.release(item.job)) ?? false
            item.context.cancel(reason: CancelReason.shutdown)
            logger.warning("job did not finish within the grace period; handed back", metadata: ["job": "\(item.job.id)", "released": "\(released)"])
        }
    }
}
