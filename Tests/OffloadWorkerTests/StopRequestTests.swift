import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// A retry's back-off (`StopRequest.wait(upTo:)`) ends at its time, or at once on a stop.
@Suite(.timeLimit(.minutes(1))) struct StopRequestTests {
    @Test func aStopEndsTheWaitBeforeItsTime() async throws {
        let clock = TestClock()
        let stop = StopRequest(clock: AnyClock(clock))
        let waiter = Task { await stop.wait(upTo: .seconds(60)) }
        try await clock.waitForSleepers("the back-off began") { !$0.isEmpty }
        stop.request()
        await waiter.value  // the clock never moved: only the stop can end it
        #expect(clock.now == TestClock.Instant(offset: .zero))
    }

    @Test func withoutAStopTheWaitLastsItsTime() async throws {
        let clock = TestClock()
        let stop = StopRequest(clock: AnyClock(clock))
        let waiter = Task { await stop.wait(upTo: .seconds(5)) }
        try await clock.waitForSleepers("the back-off sleeps until its time") { $0.contains(TestClock.Instant(offset: .seconds(5))) }
        clock.advance(by: .seconds(5))
        await waiter.value
        #expect(!stop.isRequested)
    }

    @Test func aWaitAfterTheStopReturnsAtOnce() async {
        let stop = StopRequest(clock: AnyClock(TestClock()))
        stop.request()
        await stop.wait(upTo: .seconds(3600))
    }
}
