import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// The happy path, `pending → active → completed`, against a real redis-server.
@Suite struct JobLifecycleTests {
    @Test func submitClaimCompleteStoresResultAndTimes() async throws {
        try await TestEngine.with { engine in
            let created = engine.clock.nowMilliseconds()
            let submitted = try await engine.submit("test.echo", payload: #"{"n":7}"#) { $0.timeoutSeconds = 30 }
            #expect(submitted.created)
            #expect(submitted.state == .pending)
            #expect(JobID.queue(of: submitted.id) == "q")

            var record = try await engine.job(submitted.id)
            #expect(record.state == .pending)
            #expect(record.type == "test.echo")
            #expect(record.payload == .object(["n": .number(7)]))
            #expect(record.attempts == 0)
            #expect(record.maxAttempts == engine.settings.defaultMaxAttempts)
            #expect(record.createdAt == date(milliseconds: created))
            #expect(record.startedAt == nil && record.finishedAt == nil && record.result == nil)
            #expect(try await engine.counts().pending == 1)

            engine.clock.advance(by: .milliseconds(1_500))
            let started = engine.clock.nowMilliseconds()
            let job = try await engine.claimOne(worker: "worker-a")
            #expect(job.id == submitted.id)
            #expect(job.type == "test.echo")
            #expect(job.payload == #"{"n":7}"#)
            #expect(job.attempt == 1)
            #expect(job.timeoutSeconds == 30)
            #expect(job.leaseMilliseconds == engine.settings.defaultLeaseMilliseconds)

            record = try await engine.job(submitted.id)
            #expect(record.state == .active)
            #expect(record.attempts == 1)
            #expect(record.worker == "worker-a")
            #expect(record.startedAt == date(milliseconds: started))
            var counts = try await engine.counts()
            #expect(counts.pending == 0 && counts.active == 1)
            // The lease runs from the claim.
            let leaseScore = try await engine.client.send("ZSCORE", .string(engine.keys.queue("q").active), .string(job.id)).int
            #expect(leaseScore == Int(started) + engine.settings.defaultLeaseMilliseconds)

            engine.clock.advance(by: .seconds(2))
            let finished = engine.clock.nowMilliseconds()
            #expect(try await engine.broker.complete(job, resultJSON: #"{"answer":42}"#))

            record = try await engine.job(submitted.id)
            #expect(record.state == .completed)
            #expect(record.result == .object(["answer": .number(42)]))
            #expect(record.error == nil)
            #expect(record.attempts == 1)
            #expect(record.createdAt == date(milliseconds: created))
            #expect(record.startedAt == date(milliseconds: started))
            #expect(record.finishedAt == date(milliseconds: finished))
            counts = try await engine.counts()
            #expect(counts == {
                var expected = QueueCounts()
                expected.completed = 1
                return expected
            }())
            // A finished job is kept for the result TTL, then swept (RetentionTests).
            let keptUntil = try await engine.keptUntil(job.id, in: engine.keys.queue("q").completed)
            #expect(keptUntil == Int(finished) + engine.settings.defaultResultTTLSeconds * 1000)
            // The same run storing again (a result whose replication was not confirmed) is
            // told it is stored, and changes nothing: the first result stays, counted once.
            #expect(try await engine.broker.complete(job, resultJSON: #""again""#) == true)
            #expect(try await engine.job(submitted.id).result == .object(["answer": .number(42)]))
            #expect(try await engine.counts().completed == 1)
        }
    }

    @Test func countsCoverEveryStateAndEveryQueue() async throws {
        try await TestEngine.with { engine in
            try await engine.submit(queue: "a")  // stays pending
            try await engine.submit(queue: "a") { $0.delaySeconds = 60 }  // scheduled
            try await engine.submit(queue: "a")
            try await engine.submit(queue: "a")
            let toCancel = try await engine.submit(queue: "a") { $0.delaySeconds = 60 }
            try await engine.submit(queue: "b")

            _ = try await engine.claimOne(queue: "a")  // active
            let completing = try await engine.claimOne(queue: "a")
            #expect(try await engine.broker.complete(completing, resultJSON: "null"))
            #expect(try await engine.inspector.cancel(toCancel.id) == .cancelled)
            // The last pending job fails permanently.
            let failing = try await engine.claimOne(queue: "a")
            #expect(try await engine.broker.fail(failing, error: JobError(type: "x", message: "y"), disposition: .dead) == .dead)

            let all = try await engine.inspector.counts()
            #expect(Set(all.keys) == ["a", "b"])
            let a = try #require(all["a"])
            #expect(a.pending == 0)
            #expect(a.scheduled == 1)
            #expect(a.active == 1)
            #expect(a.completed == 1)
            #expect(a.cancelled == 1)
            #expect(a.dead == 1)
            #expect(all["b"]?.pending == 1)
            #expect(try await engine.inspector.queueNames() == ["a", "b"])
        }
    }

    @Test func eventsOfARunAreStreamedInOrder() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 50, message: "half"))
            #expect(try await engine.broker.complete(job, resultJSON: "1"))
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "started", "progress", "completed"])
            let events = try await engine.events()
            #expect(events.first?.fields["types"] == "test.echo")
            #expect(events.first { $0.event == "started" }?.fields["attempts"] == "1")
        }
    }

    @Test func aBatchOfRunsIsOneStartedAndOneCompletedEvent() async throws {
        try await TestEngine.with { engine in
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await engine.submit().id) }
            let claimed = try await engine.claim(limit: 3).jobs
            #expect(claimed.map(\.id) == ids)
            #expect(try await engine.broker.complete(claimed.map { ($0, "1") }) == [true, true, true])
            let events = try await engine.events().filter { $0.event != "submitted" }
            #expect(events.map(\.event) == ["started", "completed"])
            #expect(events.map(\.ids) == [ids, ids])
            #expect(events.first?.fields["attempts"] == "1 1 1")
            for id in ids { #expect(try await engine.eventNames(of: id) == ["submitted", "started", "completed"]) }
        }
    }

    @Test func aWatcherSeesItsJobFinishInsideABatch() async throws {
        try await TestEngine.with { engine in
            let watcher = JobEventWatcher(inspector: engine.inspector)
            // The watcher follows the stream from when it is registered, so a claim that beats
            // the registration on a loaded machine hides `started` (its state then tells the
            // rest): a fresh batch tries again, until one is seen whole. Each batch must end
            // in `completed`.
            var seen: [[JobEvent]] = []
            try await waitUntil("a watcher sees its job start and complete inside a batch") {
                var ids: [String] = []
                for _ in 0..<3 { ids.append(try await engine.submit().id) }
                let events = watcher.events(for: try await engine.job(ids[1]))
                try await Task.sleep(for: .milliseconds(300))  // time to register, most often
                let claimed = try await engine.claim(limit: 3).jobs
                _ = try await engine.broker.complete(claimed.map { ($0, "1") })
                seen.append(try await events.reduce(into: []) { $0.append($1) })  // ends with the job
                #expect(seen.last?.last == .changed(event: "completed"))
                return seen.last == [.changed(event: "started"), .changed(event: "completed")]
            }
        }
    }

    @Test func aWatcherOfAPurgedJobLearnsItIsGone() async throws {
        try await TestEngine.with { engine in
            let waiting = try await engine.submit()
            let watcher = JobEventWatcher(inspector: engine.inspector)
            var events = watcher.events(for: try await engine.job(waiting.id)).makeAsyncIterator()
            try await Task.sleep(for: .milliseconds(300))  // registered, as above
            #expect(try await engine.inspector.purge(queue: "q", state: .pending) == 1)
            var seen: [JobEvent] = []
            do {
                while let event = try await events.next() { seen.append(event) }
                #expect(seen == [.changed(event: "purged")], "the stream ends with the job")
            } catch let error as OffloadError {
                // On a loaded machine the purge can come before the watcher has read the job
                // once: then it learns the same from the job's absence.
                #expect(error.code == .notFound && seen.isEmpty)
            }
            #expect(try await engine.eventNames(of: waiting.id) == ["submitted", "purged"])
        }
    }

    @Test func unknownAndMalformedIDsAreNotFound() async throws {
        try await TestEngine.with { engine in
            let unknown = JobID.make(queue: "q", milliseconds: engine.clock.nowMilliseconds())
            await expectOffloadError(.notFound) { try await engine.inspector.job(unknown) }
            await expectOffloadError(.notFound) { try await engine.inspector.job("not-a-job-id") }
            await expectOffloadError(.notFound) { try await engine.inspector.cancel(unknown) }
            await expectOffloadError(.notFound) { try await engine.inspector.retry(unknown) }
            await expectOffloadError(.notFound) { try await engine.inspector.retry("../etc/passwd") }
        }
    }

    @Test func releaseReturnsAJobWithoutCountingTheRun() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            let job = try await engine.claimOne()
            #expect(try await engine.broker.release(job))
            var record = try await engine.job(submitted.id)
            #expect(record.state == .pending)
            #expect(record.attempts == 0)
            // The released token is void, and the next claim is attempt 1 again.
            #expect(try await engine.broker.complete(job, resultJSON: "1") == false)
            let again = try await engine.claimOne()
            #expect(again.attempt == 1)
            #expect(try await engine.broker.complete(again, resultJSON: "2"))
            record = try await engine.job(submitted.id)
            #expect(record.result == .number(2))
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "started", "released", "started", "completed"])
        }
    }
}
