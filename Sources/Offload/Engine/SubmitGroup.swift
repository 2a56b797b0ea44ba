import NIOConcurrencyHelpers

/// Group commit for single submits, as databases batch their log writes. A submit that
/// finds fewer than `maxInFlight` enqueue calls on their way goes at once; submits that
/// arrive meanwhile wait, and when a call returns the first of them sends them all in one
/// call. A lone submit waits for nothing, and under load one script call, one wake-up and
/// one event carry many jobs. No task is made: a waiting submit is either answered or
/// handed the lead.
final class SubmitGroup: Sendable {
    typealias Outcome = Result<SubmittedJob, OffloadError>
    /// Enqueues validated jobs in one round trip: an outcome per job, in order.
    typealias Send = @Sendable ([JobSubmission]) async -> [Outcome]

    private enum Turn: Sendable {
        case answered(Outcome)
        /// Send your own job together with these waiting ones.
        case lead([Waiter])
    }

    private struct Waiter: Sendable {
        let submission: JobSubmission
        let continuation: UnsafeContinuation<Turn, Never>
    }

    private struct State {
        let maxInFlight: Int
        var inFlight = 0
        var waiting: [Waiter] = []

        mutating func startCall() -> Bool {
            guard inFlight < maxInFlight else { return false }
            inFlight += 1
            return true
        }
    }

    private let state: NIOLockedValueBox<State>
    private let maxBatch: Int

    init(maxInFlight: Int, maxBatch: Int) {
        state = NIOLockedValueBox(State(maxInFlight: max(1, maxInFlight)))
        self.maxBatch = max(1, maxBatch)
    }

    func submit(_ submission: JobSubmission, send: Send) async -> Outcome {
        let turn: Turn
        if state.withLockedValue({ $0.startCall() }) {
            turn = .lead([])
        } else {
            turn = await withUnsafeContinuation { continuation in
                let leadNow = state.withLockedValue { state in
                    if state.startCall() { return true }
                    state.waiting.append(Waiter(submission: submission, continuation: continuation))
                    return false
                }
                if leadNow { continuation.resume(returning: .lead([])) }
            }
        }
        switch turn {
        case .answered(let outcome): return outcome
        case .lead(let others): return await lead(submission, with: others, send: send)
        }
    }

    private func lead(_ own: JobSubmission, with others: [Waiter], send: Send) async -> Outcome {
        let outcomes = await send([own] + others.map(\.submission))
        // The lead passes before anyone is answered, so Redis gets the next call sooner.
        let next = state.withLockedValue { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.inFlight -= 1
                return nil
            }
            let batch = Array(state.waiting.prefix(maxBatch))
            state.waiting.removeFirst(batch.count)
            return batch
        }
        if let next { next[0].continuation.resume(returning: .lead(Array(next.dropFirst()))) }
        for (waiter, outcome) in zip(others, outcomes.dropFirst()) {
            waiter.continuation.resume(returning: .answered(outcome))
        }
        return outcomes[0]
    }
}
