import Offload
import Testing

@testable import OffloadWorker

/// Which claimed-ahead jobs ride along to a job thread with the one about to run.
@Suite struct ClaimedAheadTests {
    static func job(_ id: Int, _ type: String) -> ClaimedJob {
        ClaimedJob(
            id: "q.\(id)", queue: "q", type: type, payload: "{}", attempt: 1, maxAttempts: 1, timeoutSeconds: nil,
            leaseMilliseconds: 30_000, token: "t")
    }

    @Test func shortJobsOfKnownTypesBatchUpToTheWindow() {
        let ahead = ClaimedAhead(window: .milliseconds(5), slots: 1)
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
        let ahead = ClaimedAhead(window: .milliseconds(5), slots: 1)
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
        let ahead = ClaimedAhead(window: .zero, slots: 1)
        ahead.recordRun(type: "short", .microseconds(10))
        ahead.hold(Self.job(1, "short"))
        #expect(ahead.batch(after: Self.job(0, "short")).isEmpty)
    }
}
