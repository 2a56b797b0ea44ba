import Offload
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// Which claimed-ahead jobs ride along to a job thread with the one about to run.
@Suite struct ClaimedAheadTests {
    static func job(_ id: Int, _ type: String) -> ClaimedJob {
        ClaimedJob(
            id: "q.\(id)", queue: "q", type: type, payload: "{}", attempt: 1, maxAttempts: 1, timeoutSeconds: nil,
            leaseMilliseconds: 30_000, token: "t")
    }

    static func claimedAhead(window: Duration) -> ClaimedAhead {
        ClaimedAhead(window: window, slots: 1, clock: AnyClock(TestClock()))
    }

    @Test func shortJobsOfKnownTypesBatchUpToTheWindow() {
        let ahead = Self.claimedAhead(window: .milliseconds(5))
        ahead.recordRun(type: "short", .microseconds(100))
        for id in 1...20 { ahead.hold(Self.job(id, "short")) }
        // 1 ms at 100 µs a job: the head and 9 more.
        #expect(ahead.batch(after: Self.job(0, "short")).map(\.job.id) == (1...9).map { "q.\($0)" })
        ahead.recordRun(type: "tiny", .microseconds(1))
        for id in 100...199 { ahead.hold(Self.job(id, "tiny")) }
        _ = ahead.takeAll()
        for id in 100...199 { ahead.hold(Self.job(id, "tiny")) }
        #expect(ahead.batch(after: Self.job(0, "tiny")).count == ClaimedAhead.maxJobsPerCrossing - 1)
    }

    @Test func aSlowOrUnknownTypeRunsAlone() {
        let ahead = Self.claimedAhead(window: .milliseconds(5))
        ahead.recordRun(type: "short", .microseconds(10))
        ahead.recordRun(type: "slow", .milliseconds(3))
        for id in 1...5 { ahead.hold(Self.job(id, "short")) }
        #expect(ahead.batch(after: Self.job(0, "slow")).isEmpty, "nothing waits behind a slow job")
        #expect(ahead.batch(after: Self.job(0, "never-seen")).isEmpty)
        ahead.hold(Self.job(6, "never-seen"))
        ahead.hold(Self.job(7, "short"))
        // Stops at the first job that does not fit; the order of the queue is kept.
        #expect(ahead.batch(after: Self.job(0, "short")).map(\.job.id) == ["q.1", "q.2", "q.3", "q.4", "q.5"])
        #expect(ahead.next()?.job.id == "q.6")
    }

    @Test func withoutClaimingAheadNothingBatches() {
        let ahead = Self.claimedAhead(window: .zero)
        ahead.recordRun(type: "short", .microseconds(10))
        ahead.hold(Self.job(1, "short"))
        #expect(ahead.batch(after: Self.job(0, "short")).isEmpty)
    }

    /// Claimed-ahead jobs are for a steady flow: once the oldest waited too long for a
    /// slot, all of them go back, for other workers to run.
    @Test func heldJobsGoBackTogetherOnceTheOldestWaitedTooLong() {
        let clock = TestClock()
        let ahead = ClaimedAhead(window: .milliseconds(5), slots: 1, clock: AnyClock(clock))
        ahead.hold(Self.job(1, "short"))
        clock.advance(by: .milliseconds(150))
        ahead.hold(Self.job(2, "short"))
        #expect(ahead.oldestSince == AnyClock.Instant(offset: .zero))
        clock.advance(by: .milliseconds(49))
        #expect(ahead.takeAll(ifOldestWaited: .milliseconds(200)).isEmpty)
        clock.advance(by: .milliseconds(1))
        #expect(ahead.takeAll(ifOldestWaited: .milliseconds(200)).map(\.job.id) == ["q.1", "q.2"])
        #expect(ahead.jobs.isEmpty && ahead.oldestSince == nil)
    }
}
