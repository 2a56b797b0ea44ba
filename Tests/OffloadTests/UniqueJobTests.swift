import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Unique jobs: a held key answers with its holder, and every way a job's scope ends
/// frees the key, so no lock outlives its job.
@Suite struct UniqueJobTests {
    private static func unique(_ key: String, _ scope: UniqueJob.Scope = .untilFinished, ttl: Duration = .seconds(3600)) -> UniqueJob {
        UniqueJob(key: key, scope: scope, ttl: ttl)
    }

    @Test func aHeldKeyAnswersWithItsHolderAndEnqueuesNothing() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit(payload: #"{"doc":1}"#) { $0.unique = Self.unique("reindex-1") }
            #expect(first.created && !first.duplicate)
            // Another payload, the same key: still the holder (the key, not the payload, decides).
            let second = try await engine.submit(payload: #"{"doc":2}"#) { $0.unique = Self.unique("reindex-1") }
            #expect(second.id == first.id && !second.created && second.duplicate && second.state == .pending)
            let other = try await engine.submit { $0.unique = Self.unique("reindex-2") }
            #expect(other.created)
            // The same key in another queue is another lock.
            #expect(try await engine.submit(queue: "q2") { $0.unique = Self.unique("reindex-1") }.created)
            #expect(try await engine.counts().pending == 2)

            // Within one batch the second job with a key meets the first.
            let batch = try await engine.broker.submit(batch: [
                JobSubmission(type: "test.echo", queue: "q", unique: Self.unique("batch")),
                JobSubmission(type: "test.echo", queue: "q", unique: Self.unique("batch")),
            ])
            let (a, b) = (try batch[0].get(), try batch[1].get())
            #expect(a.created && b.duplicate && b.id == a.id)
            #expect(try await engine.counts().pending == 3)
        }
    }

    @Test func untilStartedFreesTheKeyWhenAWorkerStartsTheJob() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit { $0.unique = Self.unique("k", .untilStarted) }
            let job = try await engine.claimOne()
            #expect(job.id == first.id)
            let next = try await engine.submit { $0.unique = Self.unique("k", .untilStarted) }
            #expect(next.created && next.id != first.id)
            // One waiting at a time again.
            #expect(try await engine.submit { $0.unique = Self.unique("k", .untilStarted) }.id == next.id)
        }
    }

    @Test func untilFinishedHoldsThroughTheRunAndItsRetriesAndFreesOnCompletion() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit { $0.unique = Self.unique("k"); $0.maxAttempts = 2 }
            let run = try await engine.claimOne()
            #expect(try await engine.submit { $0.unique = Self.unique("k") }.id == first.id)
            #expect(try await engine.broker.fail(run, error: JobError(type: "Boom", message: "once")) == .scheduled)
            let retrying = try await engine.submit { $0.unique = Self.unique("k") }
            #expect(retrying.duplicate && retrying.id == first.id && retrying.state == .scheduled)

            engine.clock.advance(by: .seconds(3600))
            let second = try await engine.claimOne()
            #expect(try await engine.broker.complete(second, resultJSON: "1"))
            let after = try await engine.submit { $0.unique = Self.unique("k") }
            #expect(after.created && after.id != first.id)
        }
    }

    @Test func cancellingOrDyingFreesTheKey() async throws {
        try await TestEngine.with { engine in
            // Cancelled while waiting.
            let waiting = try await engine.submit { $0.unique = Self.unique("cancel-waiting") }
            #expect(try await engine.inspector.cancel(waiting.id) == .cancelled)
            #expect(try await engine.submit { $0.unique = Self.unique("cancel-waiting") }.created)

            // Dead after its last attempt.
            let doomed = try await engine.submit(queue: "d") { $0.unique = Self.unique("die"); $0.maxAttempts = 1 }
            let run = try await engine.claimOne(queue: "d")
            #expect(run.id == doomed.id)
            #expect(try await engine.broker.fail(run, error: JobError(type: "Boom", message: "no")) == .dead)
            #expect(try await engine.submit(queue: "d") { $0.unique = Self.unique("die") }.created)

            // Dead by the reaper: its worker vanished with the last attempt.
            let orphan = try await engine.submit(queue: "r") { $0.unique = Self.unique("reaped"); $0.maxAttempts = 1 }
            _ = try await engine.claimOne(queue: "r")
            engine.clock.advance(by: .seconds(3600))
            #expect(try await engine.broker.reapExpiredLeases(queue: "r") == (0, 1))
            #expect(try await engine.job(orphan.id).state == .dead)
            #expect(try await engine.submit(queue: "r") { $0.unique = Self.unique("reaped") }.created)
        }
    }

    /// The last resort: a key whose job never ends goes with its TTL, and the old job
    /// finishing later does not free the key a newer job took meanwhile.
    @Test func theTTLEndsAKeyAndAnOlderHolderDoesNotFreeANewerOne() async throws {
        try await TestEngine.with { engine in
            let old = try await engine.submit { $0.unique = Self.unique("k", ttl: .seconds(1)) }
            let run = try await engine.claimOne()
            var latest: SubmittedJob?
            try await waitUntil("the key's TTL ends and a submit makes a new job") {
                latest = try await engine.submit { $0.unique = Self.unique("k") }
                return latest?.created == true
            }
            let newer = try #require(latest)
            #expect(newer.id != old.id)
            #expect(try await engine.broker.complete(run, resultJSON: "1"))
            let again = try await engine.submit { $0.unique = Self.unique("k") }
            #expect(again.duplicate && again.id == newer.id)
        }
    }

    @Test func badUniquenessIsRefusedNamingTheField() async throws {
        try await TestEngine.with { engine in
            let empty = await expectOffloadError(.invalid) { try await engine.submit { $0.unique = Self.unique("") } }
            #expect(empty?.field == "unique.key")
            let zero = await expectOffloadError(.invalid) { try await engine.submit { $0.unique = Self.unique("k", ttl: .zero) } }
            #expect(zero?.field == "unique.ttl_seconds")
            let negative = await expectOffloadError(.invalid) { try await engine.submit { $0.unique = Self.unique("k", ttl: .seconds(-5)) } }
            #expect(negative?.field == "unique.ttl_seconds")
            let counts = try await engine.counts()
            #expect(counts.pending == 0)
        }
    }
}
