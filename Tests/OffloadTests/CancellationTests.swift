import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Waiting jobs are cancelled at once; running ones through their worker.
@Suite struct CancellationTests {
    @Test func pendingJobIsCancelledAtOnceAndNeverClaimed() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let other = try await engine.submit()
            let now = engine.clock.nowMilliseconds()
            #expect(try await engine.inspector.cancel(submitted.id) == .cancelled)
            let record = try await engine.job(submitted.id)
            #expect(record.state == .cancelled)
            #expect(record.finishedAt == date(milliseconds: now))
            let counts = try await engine.counts()
            #expect(counts.cancelled == 1 && counts.pending == 1)
            #expect(try await engine.claim(limit: 10).jobs.map(\.id) == [other.id])
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "cancelled"])
            // Kept for the result TTL like a finished job.
            let keptUntil = try await engine.keptUntil(submitted.id, in: engine.keys.queue("q").cancelled)
            #expect(keptUntil == Int(now) + engine.settings.defaultResultTTLSeconds * 1000)
            // Cancelling again is a conflict (the job is finished) and changes nothing.
            engine.clock.advance(by: .seconds(1))
            await expectOffloadError(.conflict) { try await engine.inspector.cancel(submitted.id) }
            #expect(try await engine.job(submitted.id).finishedAt == date(milliseconds: now))
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "cancelled"])
            #expect(try await engine.counts().cancelled == 1)
        }
    }

    @Test func scheduledJobIsCancelledAtOnceAndNeverPromoted() async throws {
        try await TestEngine.with { engine in
            let delayed = try await engine.submit { $0.delaySeconds = 10 }
            #expect(try await engine.inspector.cancel(delayed.id) == .cancelled)
            #expect(try await engine.counts().scheduled == 0)
            engine.clock.advance(by: .seconds(20))
            let result = try await engine.claim(limit: 10)
            #expect(result.jobs.isEmpty)
            #expect(result.nextDueMilliseconds == nil)
            #expect(try await engine.job(delayed.id).state == .cancelled)
        }
    }

    @Test func retryWaitingJobIsCancelledAtOnce() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "again")) == .scheduled)
            #expect(try await engine.inspector.cancel(submitted.id) == .cancelled)
            engine.clock.advance(by: .seconds(3_600))
            #expect(try await engine.claim().jobs.isEmpty)
            #expect(try await engine.job(submitted.id).state == .cancelled)
        }
    }

    /// The process running the job crashed or was killed for its timeout before the handler
    /// saw the request: the run is recorded as failed, and the job still ends cancelled.
    @Test func aRunThatFailsAfterItsCancelWasRequestedEndsCancelled() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 3 }
            let job = try await engine.claimOne()
            #expect(try await engine.inspector.cancel(submitted.id) == .active)
            let crash = JobError(type: "crash", message: "worker process crashed: signal 9 (Killed)")
            #expect(try await engine.broker.fail(job, error: crash, disposition: .retry) == .cancelled)
            let record = try await engine.job(submitted.id)
            #expect(record.state == .cancelled)
            #expect(record.error == crash)
            #expect(try await engine.claim().jobs.isEmpty, "it does not run again")
        }
    }

    @Test func activeJobIsCancelledThroughItsWorker() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            var beat = try await engine.broker.extendLeases(queue: "q", jobs: [job])
            #expect(beat.cancelRequested.isEmpty)

            #expect(try await engine.inspector.cancel(submitted.id) == .active)
            var record = try await engine.job(submitted.id)
            #expect(record.state == .active)
            #expect(record.cancelRequested)
            // Asking again is harmless and still says the job is running.
            #expect(try await engine.inspector.cancel(submitted.id) == .active)

            beat = try await engine.broker.extendLeases(queue: "q", jobs: [job])
            #expect(beat.cancelRequested == [submitted.id])
            #expect(beat.lost.isEmpty)

            #expect(try await engine.broker.fail(job, error: JobError(type: "cancelled", message: "stopped by request"), disposition: .cancel) == .cancelled)
            record = try await engine.job(submitted.id)
            #expect(record.state == .cancelled)
            #expect(record.cancelRequested == false)
            #expect(record.error?.type == "cancelled")
            let counts = try await engine.counts()
            #expect(counts.cancelled == 1 && counts.active == 0)
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "started", "cancelling", "cancelling", "cancelled"])
            // The token is spent.
            #expect(try await engine.broker.extendLeases(queue: "q", jobs: [job]).lost == [submitted.id])
        }
    }

    @Test func cancelOnTheLastAttemptIsStillCancelledNotDead() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 1 }
            let job = try await engine.claimOne()
            #expect(try await engine.inspector.cancel(submitted.id) == .active)
            #expect(try await engine.broker.fail(job, error: JobError(type: "cancelled", message: "x"), disposition: .cancel) == .cancelled)
            #expect(try await engine.counts().dead == 0)
        }
    }

    @Test func cancelRequestSurvivesALostLease() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            _ = try await engine.claimOne()
            #expect(try await engine.inspector.cancel(submitted.id) == .active)
            // The worker dies before it sees the request: the job must not run again.
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            try await engine.broker.reapExpiredLeases(queue: "q")
            let record = try await engine.job(submitted.id)
            #expect(record.state == .cancelled)
            #expect(!record.cancelRequested)
            let counts = try await engine.counts()
            #expect(counts.cancelled == 1 && counts.pending == 0 && counts.active == 0)
            #expect(try await engine.claim().jobs.isEmpty)
            #expect(try await engine.eventNames(of: submitted.id).last == "cancelled")
        }
    }

    @Test func cancelRequestSurvivesARelease() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.inspector.cancel(submitted.id) == .active)
            // The worker shuts down before the handler stopped: the job ends cancelled.
            #expect(try await engine.broker.release(job))
            let record = try await engine.job(submitted.id)
            #expect(record.state == .cancelled)
            #expect(!record.cancelRequested)
            let counts = try await engine.counts()
            #expect(counts.cancelled == 1 && counts.pending == 0 && counts.active == 0)
            #expect(try await engine.claim().jobs.isEmpty)
        }
    }

    @Test func finishedJobsCannotBeCancelled() async throws {
        try await TestEngine.with { engine in
            let done = try await engine.submit()
            var job = try await engine.claimOne()
            #expect(try await engine.broker.complete(job, resultJSON: "1"))
            let error = await expectOffloadError(.conflict) { try await engine.inspector.cancel(done.id) }
            #expect(error?.message.contains("completed") == true)
            #expect(try await engine.job(done.id).state == .completed)

            let dead = try await engine.submit { $0.maxAttempts = 1 }
            job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "x")) == .dead)
            await expectOffloadError(.conflict) { try await engine.inspector.cancel(dead.id) }
            #expect(try await engine.job(dead.id).state == .dead)
        }
    }

    @Test func unknownJobIsNotFound() async throws {
        try await TestEngine.with { engine in
            let unknown = JobID.make(queue: "q", milliseconds: engine.clock.nowMilliseconds())
            await expectOffloadError(.notFound) { try await engine.inspector.cancel(unknown) }
            await expectOffloadError(.notFound) { try await engine.inspector.cancel("q.garbage") }
        }
    }
}
