import NIOConcurrencyHelpers
import Offload

/// A `Clock` that moves only when a test says: `sleep(until:)` suspends until `advance(by:)`
/// passes the deadline (or the sleeping task is cancelled). `waitForSleepers` lets a test
/// wait until the code under test has gone to sleep, so advancing never races it.
package final class TestClock: Clock, Sendable {
    package struct Instant: InstantProtocol, CustomStringConvertible {
        /// Time since the clock was made.
        package let offset: Duration

        package init(offset: Duration) { self.offset = offset }
        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
        package static func + (instant: Instant, duration: Duration) -> Instant { instant.advanced(by: duration) }
        package var description: String { "t+\(offset)" }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Woken whenever a sleeper comes or goes.
    private let changes = Waiters()

    package init() {}

    package var now: Instant { state.withLockedValue { $0.now } }
    package var minimumResolution: Duration { .zero }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = state.withLockedValue { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if due {
                    continuation.resume()
                } else {
                    changes.resumeAll()
                }
            }
        } onCancel: {
            if let sleeper = state.withLockedValue({ $0.sleepers.removeValue(forKey: id) }) {
                sleeper.continuation.resume(throwing: CancellationError())
                changes.resumeAll()
            }
        }
        try Task.checkCancellation()
    }

    /// Moves time on and wakes every sleeper whose deadline it passes, earliest first.
    package func advance(by duration: Duration) {
        let due = state.withLockedValue { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
        if !due.isEmpty { changes.resumeAll() }
    }

    /// The deadlines of the tasks asleep now, earliest first.
    package var sleeperDeadlines: [Instant] {
        state.withLockedValue { $0.sleepers.values.map(\.deadline).sorted() }
    }

    /// Returns once `condition` holds for the deadlines of the tasks asleep; throws when
    /// `timeout` of real time passes first (a generous bound: the code under test runs on
    /// real threads, a loaded machine is slow to get there).
    package func waitForSleepers(
        _ what: String = "sleepers", timeout: Duration = .seconds(30), until condition: @escaping @Sendable ([Instant]) -> Bool
    ) async throws {
        let met = await Delay.withTimeout(timeout) { [self] in
            await changes.wait { condition(sleeperDeadlines) }
            return true
        }
        guard met == true else { throw TestSupportError("\(what): not seen within \(timeout); asleep until \(sleeperDeadlines)") }
    }

    /// Returns once at least `count` tasks are asleep on this clock.
    package func waitForSleepers(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        try await waitForSleepers("\(count) sleepers", timeout: timeout) { $0.count >= count }
    }
}
