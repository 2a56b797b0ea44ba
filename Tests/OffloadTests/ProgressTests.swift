import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Progress reported by a running job: stored, streamed, clamped, fenced.
@Suite struct ProgressTests {
    @Test func progressIsStoredAndStreamed() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.job(submitted.id).progress == nil)

            #expect(try await engine.broker.reportProgress(job, percent: 25, message: "reading input"))
            var record = try await engine.job(submitted.id)
            #expect(record.progress == 25)
            #expect(record.progressMessage == "reading input")

            #expect(try await engine.broker.reportProgress(job, percent: 80, message: ""))
            record = try await engine.job(submitted.id)
            #expect(record.progress == 80)
            #expect(record.progressMessage == nil)

            let progress = try await engine.events().filter { $0.event == "progress" && $0.ids == [submitted.id] }
            #expect(progress.map { $0.fields["percent"] } == ["25", "80"])
            #expect(progress.map { $0.fields["message"] } == ["reading input", ""])
        }
    }

    @Test func percentIsClampedTo0Through100() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 150, message: "over"))
            #expect(try await engine.job(submitted.id).progress == 100)
            #expect(try await engine.broker.reportProgress(job, percent: -5, message: "under"))
            #expect(try await engine.job(submitted.id).progress == 0)
            #expect(try await engine.broker.reportProgress(job, percent: Int.max, message: "way over"))
            #expect(try await engine.job(submitted.id).progress == 100)
            let percents = try await engine.events().filter { $0.event == "progress" }.map { $0.fields["percent"] }
            #expect(percents == ["100", "0", "100"])
        }
    }

    @Test func progressWithAStaleTokenIsRefused() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let stale = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (1, 0))
            let fresh = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(fresh, percent: 10, message: "fresh"))

            #expect(try await engine.broker.reportProgress(stale, percent: 99, message: "stale") == false)
            let record = try await engine.job(submitted.id)
            #expect(record.progress == 10)
            #expect(record.progressMessage == "fresh")
            let messages = try await engine.events().filter { $0.event == "progress" }.map { $0.fields["message"] }
            #expect(messages == ["fresh"])

            // Nor is progress on a job that is no longer running.
            #expect(try await engine.broker.complete(fresh, resultJSON: "1"))
            #expect(try await engine.broker.reportProgress(fresh, percent: 50, message: "late") == false)
            #expect(try await engine.job(submitted.id).progress == 10)
        }
    }

    /// A job waiting again (retry, lease expired, handed back) shows no progress: the last
    /// run's 80 % would read as this run's. A dead job keeps where it stopped.
    @Test func progressIsClearedWhenTheJobWaitsAgain() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 4 }
            var job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 80, message: "almost"))
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "x")) == .scheduled)
            #expect(try await engine.job(submitted.id).progress == nil, "retrying")

            engine.clock.advance(by: .seconds(3600))
            job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 50, message: "half"))
            engine.clock.advance(by: .milliseconds(job.leaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (1, 0))
            #expect(try await engine.job(submitted.id).progress == nil, "lease expired")

            job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 30, message: "a third"))
            #expect(try await engine.broker.release(job))
            let released = try await engine.job(submitted.id)
            #expect(released.progress == nil && released.progressMessage == nil, "handed back")

            job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 90, message: "nearly"))
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "x"), disposition: .dead) == .dead)
            #expect(try await engine.job(submitted.id).progress == 90, "dead keeps it")
        }
    }
}
