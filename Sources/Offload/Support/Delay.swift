import NIOCore
import NIOPosix

/// Timed waits in async code, all on one kind of timer: a task scheduled on an event loop
/// of the shared group (the Redis client's), so a waiting task holds no thread.
package enum Delay {
    /// Returns after `duration`; throws `CancellationError` as soon as the calling task is
    /// cancelled, and the timer goes with it.
    package static func wait(_ duration: Duration) async throws {
        try Task.checkCancellation()
        let timer = at(.now + duration) {}
        try await withTaskCancellationHandler {
            do {
                try await timer.futureResult.get()
            } catch {
                throw CancellationError()  // the only way the timer fails
            }
        } onCancel: {
            timer.cancel()
        }
    }

    /// Runs `action` on an event loop at `deadline` (at once if it has passed), unless the
    /// returned timer is cancelled first: for code that wakes its own waiters.
    @discardableResult
    package static func at(_ deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> Scheduled<Void> {
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(max(.zero, deadline - .now)), action)
    }

    /// `operation`'s result, or nil if `timeout` passes first (`operation` is then
    /// cancelled, and awaited: it must return promptly once cancelled).
    package static func withTimeout<Result: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async -> Result
    ) async -> Result? {
        await withTaskGroup(of: Result?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                try? await wait(timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
