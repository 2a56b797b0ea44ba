import NIOConcurrencyHelpers

/// A counting semaphore for async code: the claim loop takes as many slots as are free
/// and suspends (holding no thread) while none is.
final class WorkSlots: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: NIOLockedValueBox<State>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        state = NIOLockedValueBox(State(free: capacity))
    }

    var free: Int { state.withLockedValue { $0.free } }
    var inUse: Int { capacity - free }

    /// Takes up to `limit` slots without waiting; returns how many it took.
    func take(upTo limit: Int) -> Int {
        state.withLockedValue { state in
            let taken = min(limit, state.free)
            state.free -= taken
            return taken
        }
    }

    func release(_ count: Int = 1) {
        let waiters = state.withLockedValue { state in
            state.free += count
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once at least one slot is free.
    func waitForFree() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { state in
                if state.free > 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Returns once every slot is free, or the time is up.
    func waitUntilIdle(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while inUse > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
