import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Leases with fencing: a run whose lease expired loses the job for good.
@Suite struct LeaseTests {
    @Test func reapedJobsWakeOneWaitingWorkerEach() async throws {
        try await TestEngine.with { engine in
            let signal = engine.keys.queue("q").signal
            _ = try await engine.broker.submit(batch: (0..<3).map { _ in JobSubmission(type: "test.echo", queue: "q") })
            #expect(try await engine.claim(limit: 3).jobs.count == 3)
            _ = try await engine.client.send("DEL", .string(signal))  // the workers took their tokens
            engine.clock.advance(by: .seconds(31))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (3, 0))
            #expect(try await engine.client.send("LLEN", .string(signal)).int == 3)
        }
    }

    @Test func expiredLeaseIsReapedAndTheOldTokenIsFenced() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.leaseMilliseconds = 5_000 }
            let first = try await engine.claimOne(worker: "stalled")
            #expect(first.leaseMilliseconds == 5_000)

            // Before the lease runs out the reaper leaves the job alone.
            engine.clock.advance(by: .milliseconds(4_999))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 0))
            #expect(try await engine.job(submitted.id).state == .active)

            engine.clock.advance(by: .milliseconds(2))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (1, 0))
            var record = try await engine.job(submitted.id)
            #expect(record.state == .pending)
            #expect(record.attempts == 1)  // the lost run counts
            #expect(record.error?.type == "lease_expired")
            var counts = try await engine.counts()
            #expect(counts.active == 0 && counts.pending == 1)

            // The stalled worker comes back: every change it tries is refused.
            #expect(try await engine.broker.complete(first, resultJSON: #""stale""#) == false)
            #expect(try await engine.broker.fail(first, error: JobError(type: "x", message: "stale")) == .lost)
            #expect(try await engine.broker.reportProgress(first, percent: 90, message: "stale") == false)
            #expect(try await engine.broker.extendLeases(queue: "q", jobs: [first]).lost == [submitted.id])
            #expect(try await engine.broker.release(first) == false)
            record = try await engine.job(submitted.id)
            #expect(record.state == .pending)
            #expect(record.result == nil && record.progress == nil)

            // A new run gets a new token; the old one still cannot touch the job.
            let second = try await engine.claimOne(worker: "healthy")
            #expect(second.id == submitted.id)
            #expect(second.attempt == 2)
            #expect(second.token != first.token)
            #expect(try await engine.broker.complete(first, resultJSON: #""stale""#) == false)
            #expect(try await engine.broker.fail(first, error: JobError(type: "x", message: "stale")) == .lost)
            #expect(try await engine.job(submitted.id).state == .active)
            #expect(try await engine.broker.complete(second, resultJSON: #""fresh""#))
            #expect(try await engine.broker.complete(first, resultJSON: #""stale""#) == false)

            record = try await engine.job(submitted.id)
            #expect(record.state == .completed)
            #expect(record.result == .string("fresh"))
            #expect(record.attempts == 2)
            #expect(record.worker == "healthy")
            counts = try await engine.counts()
            #expect(counts.completed == 1 && counts.active == 0 && counts.pending == 0)
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "started", "retrying", "started", "completed"])
        }
    }

    @Test func heartbeatKeepsTheLeaseAlive() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.leaseMilliseconds = 1_000 }
            let job = try await engine.claimOne()
            for _ in 0..<5 {
                engine.clock.advance(by: .milliseconds(800))
                let beat = try await engine.broker.extendLeases(queue: "q", jobs: [job])
                #expect(beat.lost.isEmpty && beat.cancelRequested.isEmpty)
                #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 0))
            }
            // 4 s after the claim, far past the 1 s lease, the job is still the worker's.
            #expect(try await engine.job(submitted.id).state == .active)
            engine.clock.advance(by: .milliseconds(1_001))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (1, 0))
        }
    }

    @Test func expiredLeaseOnTheLastAttemptGoesDead() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 1 }
            _ = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 1))
            let record = try await engine.job(submitted.id)
            #expect(record.state == .dead)
            #expect(record.error?.type == "lease_expired")
            #expect(try await engine.counts().dead == 1)
            #expect(try await engine.eventNames(of: submitted.id).last == "dead")
        }
    }

    @Test func concurrentReapersRequeueEachJobOnce() async throws {
        try await TestEngine.with { engine in
            var ids: [String] = []
            for _ in 0..<20 { ids.append(try await engine.submit().id) }
            let claimed = try await engine.claim(limit: 20)
            #expect(claimed.jobs.count == 20)
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))

            let (other, otherClient) = try engine.sibling()
            async let mine = engine.broker.reapExpiredLeases(queue: "q", limit: 100)
            async let theirs = other.reapExpiredLeases(queue: "q", limit: 100)
            let (a, b) = try await (mine, theirs)
            await otherClient.shutdown()

            #expect(a.requeued + b.requeued == 20)
            #expect(a.dead + b.dead == 0)
            let counts = try await engine.counts()
            #expect(counts.pending == 20 && counts.active == 0)
            let retrying = try await engine.events().filter { $0.event == "retrying" }
            #expect(retrying.count == 20)
            #expect(Set(retrying.flatMap(\.ids)) == Set(ids))
            for id in ids { #expect(try await engine.job(id).attempts == 1) }
            // A second pass finds nothing left to reap.
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 0))
            #expect(try await engine.claim(limit: 100).jobs.count == 20)
        }
    }
}
