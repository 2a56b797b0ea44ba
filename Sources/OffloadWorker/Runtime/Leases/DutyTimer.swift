import NIOConcurrencyHelpers
import Offload

/// Puts the worker's watchdog to sleep until its next duty is due, and wakes it early only
/// for a new duty due sooner than that. An idle worker's watchdog never wakes, and a busy
/// one wakes when a lease needs renewing or a timeout ends, not on a fixed tick or per job.
final class DutyTimer: Sendable {
    private struct State {
        /// schedule() calls so far: a duty that came while the watchdog was awake is seen
        /// when it goes to sleep.
        var changes = 0
        var asleep = false
        /// While asleep: when it wakes on its own (nil: only when a duty comes).
        var sleepingUntil: AnyClock.Instant?
        var rang = false
    }

    private let state = NIOLockedValueBox(State())
    private let waiters = Waiters()
    private let clock: AnyClock

    init(clock: AnyClock) {
        self.clock = clock
    }

    /// A duty due at `due` exists now.
    func schedule(_ due: AnyClock.Instant) {
        let wake = state.withLockedValue { state -> Bool in
            state.changes += 1
            guard state.asleep, !state.rang, state.sleepingUntil.map({ due < $0 }) ?? true else { return false }
            state.rang = true
            return true
        }
        if wake { waiters.resumeAll() }
    }

    /// Pass to `wait(until:seen:)` after looking at the duties.
    var changes: Int { state.withLockedValue { $0.changes } }

    /// True while the watchdog sleeps and nothing has woken it yet.
    var isAsleep: Bool { state.withLockedValue { $0.asleep && !$0.rang } }

    /// Returns at `due` (never, if nil), when an earlier duty is scheduled, when the task
    /// is cancelled, or at once if any duty was scheduled since `changes` read `seen`.
    func wait(until due: AnyClock.Instant?, seen: Int) async {
        let awake = state.withLockedValue { state -> Bool in
            guard state.changes == seen else { return true }
            state.asleep = true
            state.sleepingUntil = due
            state.rang = false
            return false
        }
        guard !awake else { return }
        let timer = due.map { due in
            clock.run(at: due) { [self] in
                state.withLockedValue { $0.rang = true }
                waiters.resumeAll()
            }
        }
        await waiters.wait { state.withLockedValue { $0.rang } }
        timer?.cancel()
        state.withLockedValue { $0.asleep = false }
    }
}
