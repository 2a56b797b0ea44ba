import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// What is kept, for how long, and how it is listed: result TTLs, the finished sets,
/// the bounded event stream, paginated listings.
@Suite struct RetentionTests {
    /// Workers sweep finished jobs every second (with the lease reaper), and every
    /// completion sweeps too: the first sweep after a result's TTL deletes the job.
    @Test func resultIsDeletedByTheFirstSweepAfterItsTTL() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.resultTTLSeconds = 1 }
            let job = try await engine.claimOne()
            #expect(try await engine.broker.complete(job, resultJSON: #"{"ok":true}"#))
            #expect(try await engine.job(submitted.id).result == .object(["ok": .bool(true)]))
            let jobKey = engine.keys.queue("q").job(submitted.id)

            engine.clock.advance(by: .milliseconds(999))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.exists(jobKey), "kept until its TTL ends")
            engine.clock.advance(by: .milliseconds(2))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.exists(jobKey) == false)
            await expectOffloadError(.notFound) { try await engine.inspector.job(submitted.id) }
            #expect(try await engine.counts().completed == 0)
            #expect(try await engine.inspector.jobs(queue: "q", state: .completed).jobs.isEmpty)
        }
    }

    @Test func cancelledJobsAreSweptByTheReaperToo() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.resultTTLSeconds = 1 }
            #expect(try await engine.inspector.cancel(submitted.id) == .cancelled)
            engine.clock.advance(by: .seconds(2))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.exists(engine.keys.queue("q").job(submitted.id)) == false)
            #expect(try await engine.counts().cancelled == 0)
        }
    }

    /// The dead set's age bound holds even when no other job dies to trim it.
    @Test func deadJobsPastTheirAgeAreSweptByTheReaper() async throws {
        try await TestEngine.with({ $0.deadMaxAgeMilliseconds = 60_000 }) { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 1 }
            #expect(try await engine.broker.fail(try await engine.claimOne(), error: JobError(type: "E", message: "m")) == .dead)
            engine.clock.advance(by: .seconds(59))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.counts().dead == 1, "kept until its age is up")
            engine.clock.advance(by: .seconds(2))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.counts().dead == 0)
            #expect(try await engine.exists(engine.keys.queue("q").job(submitted.id)) == false)
        }
    }

    @Test func errorKeepsTypeAndMessage() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 1 }
            let job = try await engine.claimOne()
            let error = JobError(type: "ValueError", message: "n must be positive, got \"-3\"\nline 2 ✓")
            #expect(try await engine.broker.fail(job, error: error) == .dead)
            let record = try await engine.job(submitted.id)
            #expect(record.error == error)
            #expect(record.result == nil)
        }
    }

    @Test func completedSetIsTrimmedAsJobsExpire() async throws {
        try await TestEngine.with { engine in
            let short = try await engine.submit { $0.resultTTLSeconds = 1 }
            var job = try await engine.claimOne()
            #expect(try await engine.broker.complete(job, resultJSON: "1"))
            #expect(try await engine.counts().completed == 1)

            engine.clock.advance(by: .seconds(2))
            let kept = try await engine.submit { $0.resultTTLSeconds = 60 }
            job = try await engine.claimOne()
            #expect(try await engine.broker.complete(job, resultJSON: "2"))
            // Finishing `kept` deleted `short`, whose time was up, and its set entry.
            #expect(try await engine.exists(engine.keys.queue("q").job(short.id)) == false)
            #expect(try await engine.counts().completed == 1)
            let completed = try await engine.client.send("ZRANGE", .string(engine.keys.queue("q").completed), "0", "-1")
            #expect(completed.array?.compactMap(\.string) == [kept.id])
            #expect(try await engine.inspector.jobs(queue: "q", state: .completed).jobs.map(\.id) == [kept.id])
        }
    }

    @Test func cancelledSetIsTrimmedAsJobsExpire() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit { $0.resultTTLSeconds = 1 }
            #expect(try await engine.inspector.cancel(first.id) == .cancelled)
            engine.clock.advance(by: .seconds(2))
            let second = try await engine.submit()
            #expect(try await engine.inspector.cancel(second.id) == .cancelled)
            let cancelled = try await engine.client.send("ZRANGE", .string(engine.keys.queue("q").cancelled), "0", "-1")
            #expect(cancelled.array?.compactMap(\.string) == [second.id])
            #expect(try await engine.exists(engine.keys.queue("q").job(first.id)) == false)
        }
    }

    @Test func listingIsPaginated() async throws {
        try await TestEngine.with { engine in
            var ids: [String] = []
            for index in 0..<5 { ids.append(try await engine.submit(payload: #"{"i":\#(index)}"#).id) }

            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let page = try await engine.inspector.jobs(queue: "q", state: .pending, cursor: cursor, limit: 2)
                #expect(page.jobs.count <= 2)
                #expect(page.jobs.allSatisfy { $0.state == .pending && $0.queue == "q" })
                seen += page.jobs.map(\.id)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids)  // waiting jobs: oldest first

            let first = try await engine.inspector.jobs(queue: "q", state: .pending, limit: 2)
            #expect(first.nextCursor == "2")
            #expect(first.jobs.map(\.payload) == [.object(["i": .number(0)]), .object(["i": .number(1)])])
            let last = try await engine.inspector.jobs(queue: "q", state: .pending, cursor: "4", limit: 2)
            #expect(last.jobs.map(\.id) == [ids[4]])
            #expect(last.nextCursor == nil)
            #expect(try await engine.inspector.jobs(queue: "q", state: .active).jobs.isEmpty)
        }
    }

    @Test func finishedJobsAreListedNewestFirst() async throws {
        try await TestEngine.with { engine in
            var ids: [String] = []
            for _ in 0..<3 {
                let id = try await engine.submit().id
                ids.append(id)
                let job = try await engine.claimOne()
                #expect(try await engine.broker.complete(job, resultJSON: "null"))
                engine.clock.advance(by: .milliseconds(10))
            }
            let page = try await engine.inspector.jobs(queue: "q", state: .completed, limit: 2)
            #expect(page.jobs.map(\.id) == [ids[2], ids[1]])
            let next = try await engine.inspector.jobs(queue: "q", state: .completed, cursor: page.nextCursor, limit: 2)
            #expect(next.jobs.map(\.id) == [ids[0]])
            #expect(next.nextCursor == nil)
        }
    }

    @Test func listingRejectsBadArguments() async throws {
        try await TestEngine.with { engine in
            await expectOffloadError(.invalid) { try await engine.inspector.jobs(queue: "q", state: .pending, cursor: "x") }
            await expectOffloadError(.invalid) { try await engine.inspector.jobs(queue: "q", state: .pending, cursor: "-1") }
            await expectOffloadError(.invalid) { try await engine.inspector.jobs(queue: "q", state: .pending, limit: 0) }
            await expectOffloadError(.invalid) { try await engine.inspector.jobs(queue: "q", state: .pending, limit: 1_001) }
            await expectOffloadError(.invalid) { try await engine.inspector.jobs(queue: "{q}", state: .pending) }
        }
    }

    @Test func eventStreamStaysBounded() async throws {
        try await TestEngine.with({ $0.eventsMaxLength = 10 }) { engine in
            for _ in 0..<200 { try await engine.submit() }
            let length = try await engine.client.send("XLEN", .string(engine.keys.queue("q").events)).int ?? -1
            // MAXLEN ~ trims whole stream nodes, so allow slack, but never the full 200.
            #expect(length >= 10)
            #expect(length < 200)
            #expect(try await engine.counts().pending == 200)
        }
    }

    @Test func entriesNamingManyJobsCountTowardTheStreamsLength() async throws {
        try await TestEngine.with({ $0.eventsMaxLength = 100 }) { engine in
            var last: [String] = []
            for _ in 0..<20 {
                let batch = (0..<250).map { _ in JobSubmission(type: "test.echo", queue: "q") }
                last = try await engine.broker.submit(batch: batch).map { try $0.get().id }
            }
            // 5,000 jobs in 20 `submitted` entries of 250: each counts as 250 / 32 entries,
            // so about 32 · 100 job ids stay (12 entries), the newest ones.
            let entries = try await engine.events()
            #expect(entries.count == 12)
            #expect(entries.flatMap(\.ids).count == 3_000)
            #expect(entries.last?.ids == last)
            #expect(try await engine.counts().pending == 5_000)
        }
    }

    @Test func purgeDeletesAStateAndItsJobs() async throws {
        try await TestEngine.with { engine in
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await engine.submit().id) }
            let running = try await engine.claimOne()
            #expect(try await engine.inspector.purge(queue: "q", state: .pending) == 2)
            #expect(try await engine.counts().pending == 0)
            for id in ids where id != running.id {
                await expectOffloadError(.notFound) { try await engine.inspector.job(id) }
            }
            await expectOffloadError(.invalid) { try await engine.inspector.purge(queue: "q", state: .active) }
            #expect(try await engine.job(running.id).state == .active)
        }
    }
}
