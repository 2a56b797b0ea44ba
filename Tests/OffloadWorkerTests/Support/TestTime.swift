import Offload
import OffloadTestSupport

/// The two clocks a worker reads, moved together by hand: the runtime's monotonic clock
/// (when leases were renewed, timeouts, waits, the grace period) and the engine's wall
/// clock (the lease deadlines and due times Redis stores). One `advance` moves both, the
/// wall clock first, so whatever the monotonic clock wakes sees the new wall time.
struct TestTime: Sendable {
    let monotonic = TestClock()
    let wall = ManualClock()

    func advance(by duration: Duration) {
        wall.advance(by: duration)
        monotonic.advance(by: duration)
    }

    /// `offset` after the start, on the monotonic clock.
    func instant(_ offset: Duration) -> TestClock.Instant { TestClock.Instant(offset: offset) }

    /// Returns once some task sleeps until `offset` after the start: the part that waits
    /// for that moment has done everything due before it.
    func waitForSleeper(at offset: Duration, _ what: String) async throws {
        let instant = instant(offset)
        try await monotonic.waitForSleepers(what) { $0.contains(instant) }
    }
}
