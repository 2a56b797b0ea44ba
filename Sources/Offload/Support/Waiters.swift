import NIOConcurrencyHelpers

/// Tasks suspended until a condition that other code makes true, holding no thread: the
/// code that may have made it true calls `resumeAll`, and each waiter looks again.
package final class Waiters: Sendable {
    private struct State {
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Returns once `condition` holds, or at once when the task is cancelled.
    package func wait(until condition: () -> Bool) async {
        while !condition() && !Task.isCancelled {
            let number = state.withLockedValue { state in
                defer { state.next += 1 }
                return state.next
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    state.withLockedValue { $0.waiting[number] = continuation }
                    // Registered first, then checked: a resumeAll in between is not missed.
                    if condition() || Task.isCancelled { resume(number) }
                }
            } onCancel: {
                resume(number)
            }
        }
    }

    package func resumeAll() {
        let waiting = state.withLockedValue { state in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    private func resume(_ number: Int) {
        state.withLockedValue { $0.waiting.removeValue(forKey: number) }?.resume()
    }
}
