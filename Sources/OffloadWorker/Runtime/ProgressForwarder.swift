import NIOConcurrencyHelpers
import OffloadCore

/// Sends a running job's progress reports to Redis in order, and before its completion.
/// The stream and its task are made on the first report: most jobs never report, and for
/// short jobs two extra task switches per job are a large share of their cost.
final class ProgressForwarder: Sendable {
    private struct State {
        var sink: AsyncStream<(Int, String)>.Continuation?
        var task: Task<Void, Never>?
    }

    private let broker: Broker
    private let job: ClaimedJob
    private let state = NIOLockedValueBox(State())

    init(broker: Broker, job: ClaimedJob) {
        self.broker = broker
        self.job = job
    }

    func report(percent: Int, message: String) {
        state.withLockedValue { state in
            if state.sink == nil {
                let (updates, sink) = AsyncStream.makeStream(of: (Int, String).self, bufferingPolicy: .bufferingNewest(32))
                let (broker, job) = (self.broker, self.job)
                state.sink = sink
                state.task = Task {
                    for await (percent, message) in updates {
                        _ = try? await broker.reportProgress(job, percent: percent, message: message)
                    }
                }
            }
            state.sink?.yield((percent, message))
        }
    }

    /// Returns once every report made so far is stored (or given up).
    func finish() async {
        let task = state.withLockedValue { state in
            state.sink?.finish()
            return state.task
        }
        await task?.value
    }
}
