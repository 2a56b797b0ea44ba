import NIOConcurrencyHelpers
import Offload

/// A counting semaphore for async code: the claim loop takes as many slots as are free
/// and suspends (holding no thread) while none is.
final class WorkSlots: Sendable {
    private let freeSlots: NIOLockedValueBox<Int>
    /// Woken whenever slots are given back.
    private let released = Waiters()
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        freeSlots = NIOLockedValueBox(capacity)
    }

    var free: Int { freeSlots.withLockedValue { $0 } }
    var inUse: Int { capacity - free }

    /// Takes up to `limit` slots without waiting; returns how many it took.
    func take(upTo limit: Int) -> Int {
        freeSlots.withLockedValue { free in
            let taken = min(limit, free)
            free -= taken
            return taken
        }
    }

    func release(_ count: Int = 1) {
        freeSlots.withLockedValue { $0 += count }
        released.resumeAll()
    }

    /// Returns once at least one slot is free, or once `giveUp` says so (checked whenever
    /// slots are released; `release(0)` makes it look).
    func waitForFree(unless giveUp: @Sendable () -> Bool = { false }) async {
        await released.wait { free > 0 || giveUp() }
    }

    /// Returns once every slot is free, or at once when the task is cancelled (the drain
    /// bounds it with its grace period).
    func waitUntilIdle() async {
        await released.wait { self.inUse == 0 }
    }
}
