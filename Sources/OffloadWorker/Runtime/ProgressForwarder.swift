import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OffloadCore

/// Sends a running job's progress reports to Redis in order, and before its completion, at
/// most one write per `interval`: reports made in between collapse into the newest, which
/// goes out when the interval ends (or at once when the job finishes). A handler may report
/// as often as it likes; a job that reports ten times in 75 ms costs two writes, not ten.
/// The forwarding task is made on the first report: most jobs never report, and for short
/// jobs two extra task switches per job are a large share of their cost.
final class ProgressForwarder: Sendable {
    private struct State {
        var newest: (percent: Int, message: String)?
        var finishing = false
        var task: Task<Void, Never>?
    }

    private let broker: Broker
    private let job: ClaimedJob
    private let interval: TimeAmount
    private let state = NIOLockedValueBox(State())
    /// Woken by a report or by finish(); a report made while a write paces wakes no one.
    private let reported = Waiters()
    /// Woken when the interval after a write ends, or by finish().
    private let paceOver = Waiters()

    init(broker: Broker, job: ClaimedJob, interval: Duration) {
        self.broker = broker
        self.job = job
        let (seconds, attoseconds) = interval.components
        self.interval = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func report(percent: Int, message: String) {
        state.withLockedValue { state in
            state.newest = (percent, message)
            if state.task == nil && !state.finishing {
                state.task = Task { await self.forward() }
            }
        }
        reported.resumeAll()
    }

    /// Returns once the newest report made so far is stored (or given up).
    func finish() async {
        let task = state.withLockedValue { state in
            state.finishing = true
            return state.task
        }
        reported.resumeAll()
        paceOver.resumeAll()
        await task?.value
    }

    private func forward() async {
        while true {
            await reported.wait { state.withLockedValue { $0.newest != nil || $0.finishing } }
            let next = state.withLockedValue { state in
                defer { state.newest = nil }
                return state.newest
            }
            guard let next else { return }  // finishing, nothing left to send
            let nextWrite = NIODeadline.now() + interval
            _ = try? await broker.reportProgress(job, percent: next.percent, message: next.message)
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(deadline: nextWrite) { [paceOver] in
                paceOver.resumeAll()
            }
            await paceOver.wait { state.withLockedValue { $0.finishing } || NIODeadline.now() >= nextWrite }
            timer.cancel()
        }
    }
}
