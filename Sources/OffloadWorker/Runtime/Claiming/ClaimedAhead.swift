import NIOConcurrencyHelpers
import Offload

/// Jobs a worker claimed before it had a free slot for them, so that short jobs do not
/// each pay a claim round trip. How many: as many as the slots get through in
/// `window` at the average run time seen so far, so long CPU jobs are never claimed ahead
/// and other workers keep getting them. Claimed-ahead jobs hold leases like running ones
/// (the heartbeat covers them) and go back to the front of their queue if they wait too
/// long here or the worker stops.
final class ClaimedAhead: Sendable {
    struct Held {
        let job: ClaimedJob
        let since: AnyClock.Instant
        var cancelRequested = false
    }

    private struct State {
        var held: [Held] = []
        /// Exponentially weighted average of handler run times, in nanoseconds.
        var averageRunNanoseconds: Double?
        /// The same per job type: a slow type never holds up short ones in a batch.
        var averageByType: [String: Double] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let windowNanoseconds: Double
    private let slots: Int
    private let maxAhead: Int
    private let clock: AnyClock

    init(window: Duration, slots: Int, clock: AnyClock, maxAhead: Int = 256) {
        self.clock = clock
        windowNanoseconds = Double(window.components.seconds) * 1e9 + Double(window.components.attoseconds) / 1e9
        self.slots = slots
        self.maxAhead = maxAhead
    }

    /// How many jobs to claim beyond the free slots now.
    var wanted: Int {
        state.withLockedValue { state in
            guard windowNanoseconds > 0, let average = state.averageRunNanoseconds else { return 0 }
            let perSlot = windowNanoseconds / max(average, 1_000)
            return min(maxAhead, Int(perSlot) * slots) - state.held.count
        }
    }

    /// Short jobs run several per trip to a job thread (a trip costs two thread wake-ups,
    /// more than a no-op job): a batch holds jobs of types whose average run time is known,
    /// up to `crossingWindow` of them in all and at most 64 jobs; a job of a slower or
    /// unknown type runs alone.
    static let crossingWindowNanoseconds = 1_000_000.0
    static let maxJobsPerCrossing = 64

    /// The batch to run with `first`: it, then the held jobs that fit behind it (at most
    /// `maxJobs` of them), taken out.
    func batch(after first: ClaimedJob, maxJobs: Int = .max) -> [Held] {
        state.withLockedValue { state in
            guard windowNanoseconds > 0, var budget = state.averageByType[first.type].map({ Self.crossingWindowNanoseconds - $0 }) else { return [] }
            var taken: [Held] = []
            while taken.count + 1 < Self.maxJobsPerCrossing, taken.count < maxJobs, let next = state.held.first, !next.cancelRequested,
                let average = state.averageByType[next.job.type], average <= budget
            {
                budget -= average
                taken.append(state.held.removeFirst())
            }
            return taken
        }
    }

    func recordRun(type: String, _ duration: Duration) {
        let nanoseconds = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        state.withLockedValue { state in
            state.averageRunNanoseconds = state.averageRunNanoseconds.map { $0 * 0.9 + nanoseconds * 0.1 } ?? nanoseconds
            state.averageByType[type] = state.averageByType[type].map { $0 * 0.9 + nanoseconds * 0.1 } ?? nanoseconds
        }
    }

    func hold(_ job: ClaimedJob) {
        let now = clock.now
        state.withLockedValue { $0.held.append(Held(job: job, since: now)) }
    }

    /// The oldest held job, taken out.
    func next() -> Held? {
        state.withLockedValue { $0.held.isEmpty ? nil : $0.held.removeFirst() }
    }

    var jobs: [ClaimedJob] { state.withLockedValue { $0.held.map(\.job) } }

    /// Since when the oldest held job has waited.
    var oldestSince: AnyClock.Instant? { state.withLockedValue { $0.held.first?.since } }

    /// What a heartbeat learned: lost leases are dropped, cancellations remembered.
    func apply(lost: Set<String>, cancel: Set<String>) {
        guard !lost.isEmpty || !cancel.isEmpty else { return }
        state.withLockedValue { state in
            state.held.removeAll { lost.contains($0.job.id) }
            for index in state.held.indices where cancel.contains(state.held[index].job.id) {
                state.held[index].cancelRequested = true
            }
        }
    }

    /// Everything held, when the oldest has waited `maxWait` (or always, with `.zero`).
    func takeAll(ifOldestWaited maxWait: Duration = .zero) -> [Held] {
        let now = clock.now
        return state.withLockedValue { state in
            guard let oldest = state.held.first, now - oldest.since >= maxWait else { return [] }
            defer { state.held.removeAll() }
            return state.held
        }
    }

    /// Gives jobs claimed ahead back to the front of their queue, uncounted. Each release
    /// goes in front of the one before, so the last claimed goes first: the queue keeps its
    /// order.
    func handBack(_ jobs: [Held], to broker: Broker) async {
        for held in jobs.reversed() { _ = try? await broker.release(held.job) }
    }
}
