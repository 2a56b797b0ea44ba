import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

/// Run totals per job type (what /metrics reports): outcomes and a duration histogram.
@Suite struct RunTotalsTests {
    @Test func resultsStoredTogetherAreEachFencedAndCounted() async throws {
        try await TestEngine.with { engine in
            for type in ["resize", "resize", "thumbnail", "resize"] { _ = try await engine.submit(type) }
            _ = try await engine.submit("resize", queue: "other")
            let jobs = try await engine.claim(limit: 4).jobs + engine.claim(queue: "other").jobs
            #expect(jobs.count == 5)
            // The third job's lease is lost: its result must not be stored.
            let stale = ClaimedJob(
                id: jobs[2].id, queue: jobs[2].queue, type: jobs[2].type, payload: jobs[2].payload, attempt: jobs[2].attempt,
                maxAttempts: jobs[2].maxAttempts, timeoutSeconds: nil, leaseMilliseconds: jobs[2].leaseMilliseconds,
                token: "not-the-lease")
            engine.clock.advance(by: .milliseconds(7))
            let stored = try await engine.broker.complete(
                [(jobs[0], "1"), (jobs[1], "2"), (stale, "3"), (jobs[3], "4"), (jobs[4], "5")])
            #expect(stored == [true, true, false, true, true])
            #expect(try await engine.job(jobs[1].id).result == .number(2))
            #expect(try await engine.job(jobs[2].id).state == .active)
            #expect(try await engine.counts().completed == 3)
            #expect(try await engine.counts(queue: "other").completed == 1)

            let totals = try await engine.inspector.runTotals()
            let resize = try #require(totals.first { $0.type == "resize" && $0.queue == "q" })
            #expect(resize.processed == 3 && resize.buckets["10"] == 3 && resize.totalMilliseconds == 21)
            #expect(totals.first { $0.type == "thumbnail" } == nil, "the lost run is not counted")
            #expect(totals.first { $0.queue == "other" }?.processed == 1)
            let minute = try await engine.inspector.throughput(queue: "q", minutes: 1)
            #expect(minute.last?.processed == 3)
        }
    }

    @Test func completedFailedAndLostRunsAreCountedWithTheirDurations() async throws {
        try await TestEngine.with { engine in
            // Completed after 30 ms.
            _ = try await engine.submit("resize")
            let first = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(30))
            #expect(try await engine.broker.complete(first, resultJSON: "{}"))

            // Failed after 2 s, retried, then lost its lease (counted as failed too).
            _ = try await engine.submit("resize")
            let second = try await engine.claimOne()
            engine.clock.advance(by: .seconds(2))
            #expect(try await engine.broker.fail(second, error: JobError(type: "E", message: "m")) == .scheduled)
            engine.clock.advance(by: .seconds(3600))
            let retried = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(UInt64(retried.leaseMilliseconds) + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q").requeued == 1)

            // Another type, kept apart.
            _ = try await engine.submit("thumbnail") { $0.priority = 10 }  // ahead of the requeued run
            #expect(try await engine.broker.complete(try await engine.claimOne(), resultJSON: "{}"))

            let totals = try await engine.inspector.runTotals()
            let resize = try #require(totals.first { $0.type == "resize" })
            #expect(resize.queue == "q")
            #expect(resize.processed == 1)
            #expect(resize.failed == 2)
            #expect(resize.buckets["50"] == 1, "30 ms falls in the ≤ 50 ms bucket")
            #expect(resize.buckets["2500"] == 1, "2 s falls in the ≤ 2.5 s bucket")
            #expect(resize.timedRuns == 3)
            #expect(resize.totalMilliseconds == 30 + 2000 + retried.leaseMilliseconds + 1)
            let thumbnail = try #require(totals.first { $0.type == "thumbnail" })
            #expect(thumbnail.processed == 1 && thumbnail.failed == 0)
        }
    }
}
