import NIOConcurrencyHelpers
import Offload

/// Stores finished jobs' results in batches: while one batch is on its way to Redis, the
/// results that become ready meanwhile wait and go together in the next one. Nothing
/// waits for a timer, so a lone job's result is stored at once; under load, many short
/// jobs share one round trip and one script call.
final class CompletionBatcher: Sendable {
    private struct Waiting {
        let job: ClaimedJob
        let resultJSON: String
        let then: @Sendable (Result<Bool, OffloadError>) -> Void
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    private let broker: Broker
    private let maxBatch: Int
    private let state = NIOLockedValueBox(State())

    init(broker: Broker, maxBatch: Int = 256) {
        self.broker = broker
        self.maxBatch = maxBatch
    }

    /// Stores one result; false when the lease was lost (another run owns the job).
    func complete(_ job: ClaimedJob, resultJSON: String) async throws(OffloadError) -> Bool {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Bool, OffloadError>, Never>) in
            enqueue(job, resultJSON: resultJSON) { continuation.resume(returning: $0) }
        }
        return try outcome.get()
    }

    /// Stores one result without waiting; `then` runs once it is stored (true), refused
    /// because the lease was lost (false), or failed.
    func enqueue(_ job: ClaimedJob, resultJSON: String, then: @escaping @Sendable (Result<Bool, OffloadError>) -> Void) {
        let startFlushing = state.withLockedValue { state in
            state.waiting.append(Waiting(job: job, resultJSON: resultJSON, then: then))
            defer { state.flushing = true }
            return !state.flushing
        }
        if startFlushing { Task { await self.flush() } }
    }

    /// Sends batches until nothing waits. Only one flush runs at a time.
    private func flush() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                let batch = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let stored = try await broker.complete(batch.map { ($0.job, $0.resultJSON) })
                for (waiting, flag) in zip(batch, stored) { waiting.then(.success(flag)) }
            } catch {
                for waiting in batch { waiting.then(.failure(error)) }
            }
        }
    }
}
