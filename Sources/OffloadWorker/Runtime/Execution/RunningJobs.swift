import NIOConcurrencyHelpers
import Offload

/// The jobs this worker runs, from their setup until their outcome is in Redis, with the
/// times their leases were last renewed and their soft timeouts end: what the watchdog
/// heartbeats and times out, what the drain hands back, what the registry lists.
final class RunningJobs: Sendable {
    struct Entry {
        let job: ClaimedJob
        let context: JobContext
        /// When the lease was last granted or extended (the claim counts).
        var leaseRenewedAt: AnyClock.Instant
        /// When its soft timeout ends (90% of the hard one, so a cooperative handler can stop
        /// cleanly before its process is killed); nil before the handler starts and after.
        var softDeadline: AnyClock.Instant?
        /// The drain is handing it back: a heartbeat that finds its lease gone is seeing
        /// that, not a lost lease, and leaves telling the handler to the drain.
        var handingBack = false

        /// A third of the lease gone (renew it while two thirds remain), or a second: the
        /// heartbeat is also how a running job learns it was cancelled, so a job that runs
        /// for seconds hears of it within one. Jobs shorter than that never need it.
        var heartbeatDue: AnyClock.Instant {
            leaseRenewedAt + min(.milliseconds(job.leaseMilliseconds / 3), RunningJobs.cancelCheckInterval)
        }
    }

    /// The longest a running job waits to hear of its cancellation.
    static let cancelCheckInterval: Duration = .seconds(1)

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    /// Adds a job whose lease was granted at `now`; returns when its heartbeat is due.
    func add(_ job: ClaimedJob, context: JobContext, at now: AnyClock.Instant) -> AnyClock.Instant {
        let entry = Entry(job: job, context: context, leaseRenewedAt: now)
        entries.withLockedValue { $0[job.id] = entry }
        return entry.heartbeatDue
    }

    func remove(_ id: String) {
        entries.withLockedValue { $0[id] = nil }
    }

    func markHandingBack(_ id: String) {
        entries.withLockedValue { $0[id]?.handingBack = true }
    }

    func setSoftDeadline(_ deadline: AnyClock.Instant?, of id: String) {
        entries.withLockedValue { $0[id]?.softDeadline = deadline }
    }

    var ids: [String] { entries.withLockedValue { Array($0.keys).sorted() } }
    var count: Int { entries.withLockedValue { $0.count } }
    var jobs: [ClaimedJob] { entries.withLockedValue { $0.values.map(\.job) } }

    /// Newest first: ids start with their creation time.
    var newestFirst: [Entry] { entries.withLockedValue { $0.values.sorted { $0.job.id > $1.job.id } } }

    func needsHeartbeat(at now: AnyClock.Instant) -> Bool {
        entries.withLockedValue { $0.values.contains { now >= $0.heartbeatDue } }
    }

    /// The earliest heartbeat or soft timeout due.
    var nextDue: AnyClock.Instant? {
        entries.withLockedValue { entries in entries.values.flatMap { [$0.heartbeatDue, $0.softDeadline] }.compactMap { $0 }.min() }
    }

    /// What a heartbeat sent at `renewedAt` learned: the leases of `renewed` were extended,
    /// `lost` ones were lost, `cancelled` ones were cancelled on request.
    func apply(renewed: [ClaimedJob], lost: Set<String>, cancelled: Set<String>, at renewedAt: AnyClock.Instant) {
        entries.withLockedValue { entries in
            for job in renewed where !lost.contains(job.id) { entries[job.id]?.leaseRenewedAt = renewedAt }
            for id in lost where entries[id]?.handingBack == false { entries[id]?.context.cancel(reason: CancelReason.leaseLost) }
            for id in cancelled { entries[id]?.context.cancel(reason: CancelReason.cancelled) }
        }
    }

    /// The contexts of the jobs whose soft timeout ended by `now`, each returned once.
    func takeSoftTimeouts(at now: AnyClock.Instant) -> [JobContext] {
        entries.withLockedValue { entries in
            let ids = entries.filter { $0.value.softDeadline.map { $0 <= now } ?? false }.keys
            return ids.compactMap { id in
                entries[id]?.softDeadline = nil
                return entries[id]?.context
            }
        }
    }
}

/// Why a running job's context was cancelled.
enum CancelReason {
    static let cancelled = "cancelled on request"
    static let softTimeout = "soft timeout reached"
    static let leaseLost = "lease lost"
    static let shutdown = "worker shutting down"
}
