import NIOConcurrencyHelpers
import Offload

/// Sends a running job's progress reports to Redis in order, and before its completion, at
/// most one write per `interval`: reports made in between collapse into the newest, which
/// goes out when the interval ends (or at once when the job finishes). A handler may report
/// as often as it likes; a job that reports ten times in 75 ms costs two writes, not ten.
/// The forwarding task is made on the first report: most jobs never report, and for short
/// jobs every allocation and task switch per job is a large share of their cost.
final class ProgressForwarder: Sendable {
    /// What the forwarding task is suspended on: a report may wake only the first; the end
    /// of the interval only the second (of that write: `pace`); finish() either.
    private enum Waiting {
        case forReport(CheckedContinuation<Void, Never>)
        case forPaceEnd(CheckedContinuation<Void, Never>, pace: Int)
    }

    private struct State {
        var newest: (percent: Int, message: String)?
        var finishing = false
        var task: Task<Void, Never>?
        var waiting: Waiting?
        var pace = 0
        /// The last pace whose interval ended (its timer may ring before the task waits).
        var paceEnded = 0
    }

    private let broker: Broker
    private let job: ClaimedJob
    private let interval: Duration
    private let clock: AnyClock
    private let state = NIOLockedValueBox(State())

    init(broker: Broker, job: ClaimedJob, interval: Duration, clock: AnyClock) {
        self.broker = broker
        self.job = job
        self.interval = interval
        self.clock = clock
    }

    func report(percent: Int, message: String) {
        let waiting = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.newest = (percent, message)
            if state.task == nil && !state.finishing {
                state.task = Task { await self.forward() }
            }
            guard case .forReport(let continuation)? = state.waiting else { return nil }
            state.waiting = nil
            return continuation
        }
        waiting?.resume()
    }

    /// Returns once the newest report made so far is stored (or given up).
    func finish() async {
        let (task, waiting) = state.withLockedValue { state -> (Task<Void, Never>?, Waiting?) in
            state.finishing = true
            defer { state.waiting = nil }
            return (state.task, state.waiting)
        }
        switch waiting {
        case .forReport(let continuation)?, .forPaceEnd(let continuation, _)?: continuation.resume()
        case nil: break
        }
        await task?.value
    }

    private func forward() async {
        while true {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state in
                    if state.newest != nil || state.finishing { return true }
                    state.waiting = .forReport(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
            let next = state.withLockedValue { state in
                defer { state.newest = nil }
                return state.newest
            }
            guard let next else { return }  // finishing, nothing left to send
            let nextWrite = clock.now + interval
            _ = try? await broker.reportProgress(job, percent: next.percent, message: next.message)
            await waitForPaceEnd(nextWrite)
        }
    }

    /// Until `deadline`, or finish().
    private func waitForPaceEnd(_ deadline: AnyClock.Instant) async {
        let pace = state.withLockedValue { state in
            state.pace += 1
            return state.pace
        }
        let timer = clock.run(at: deadline) {
            let waiting = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                state.paceEnded = pace
                guard case .forPaceEnd(let continuation, pace)? = state.waiting else { return nil }
                state.waiting = nil
                return continuation
            }
            waiting?.resume()
        }
        await withCheckedContinuation { continuation in
            let over = state.withLockedValue { state in
                if state.finishing || state.paceEnded == pace { return true }
                state.waiting = .forPaceEnd(continuation, pace: pace)
                return false
            }
            if over { continuation.resume() }
        }
        timer.cancel()
    }
}
