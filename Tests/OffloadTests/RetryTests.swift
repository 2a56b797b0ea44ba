import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Failed runs: backoff, the dead set and its retention, manual retry.
@Suite struct RetryTests {
    @Test func failedRunsBackOffThenDieKeepingTheLastError() async throws {
        try await TestEngine.with({ $0.retryBaseMilliseconds = 100 }) { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 3 }
            let scheduledKey = engine.keys.queue("q").scheduled
            for attempt in 1...2 {
                let job = try await engine.claimOne()
                #expect(job.attempt == attempt)
                let now = engine.clock.nowMilliseconds()
                #expect(try await engine.broker.fail(job, error: JobError(type: "Boom", message: "boom \(attempt)")) == .scheduled)

                let record = try await engine.job(submitted.id)
                #expect(record.state == .scheduled)
                #expect(record.error == JobError(type: "Boom", message: "boom \(attempt)"))
                let runAt = try #require(record.runAt)
                // Full jitter: somewhere in [now, now + base · 2^(attempt-1)].
                let ceiling = Int64(100 << (attempt - 1))
                #expect(runAt >= date(milliseconds: now) && runAt <= date(milliseconds: now + ceiling))
                let score = try await engine.client.send("ZSCORE", .string(scheduledKey), .string(job.id)).int.map { Int64($0) }
                #expect(score.map { date(milliseconds: $0) } == runAt)
                #expect(try await engine.counts().scheduled == 1)

                // Not before it is due (a zero delay is due at once), then on time.
                if let score, score > now {
                    let early = try await engine.claim()
                    #expect(early.jobs.isEmpty)
                    #expect(early.nextDueMilliseconds == score)
                }
                engine.clock.advance(by: .milliseconds(ceiling))
            }
            let last = try await engine.claimOne()
            #expect(last.attempt == 3)
            #expect(try await engine.broker.fail(last, error: JobError(type: "Boom", message: "boom 3")) == .dead)

            let record = try await engine.job(submitted.id)
            #expect(record.state == .dead)
            #expect(record.attempts == 3)
            #expect(record.error == JobError(type: "Boom", message: "boom 3"))
            #expect(record.finishedAt == date(milliseconds: engine.clock.nowMilliseconds()))
            let counts = try await engine.counts()
            #expect(counts.dead == 1 && counts.scheduled == 0 && counts.active == 0 && counts.pending == 0)
            #expect(try await engine.eventNames(of: submitted.id) == ["submitted", "started", "retrying", "started", "retrying", "started", "dead"])
            let deadEvent = try await engine.events().last { $0.event == "dead" }
            #expect(deadEvent?.fields["error"].flatMap(JSONValue.init(jsonText:))?["message"] == .string("boom 3"))
        }
    }

    @Test func singleAttemptJobDiesAtOnce() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 1 }
            let job = try await engine.claimOne()
            #expect(job.maxAttempts == 1)
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "once")) == .dead)
            #expect(try await engine.job(submitted.id).state == .dead)
            #expect(try await engine.counts().scheduled == 0)
        }
    }

    @Test func deadDispositionSkipsRemainingAttempts() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 10 }
            let job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "Permanent", message: "bad input"), disposition: .dead) == .dead)
            let record = try await engine.job(submitted.id)
            #expect(record.state == .dead)
            #expect(record.attempts == 1)
            #expect(record.error == JobError(type: "Permanent", message: "bad input"))
        }
    }

    @Test func deadSetIsBoundedByCount() async throws {
        try await TestEngine.with({ $0.deadMaxCount = 3 }) { engine in
            var ids: [String] = []
            for index in 0..<5 {
                let id = try await engine.submit { $0.maxAttempts = 1 }.id
                ids.append(id)
                let job = try await engine.claimOne()
                #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "\(index)")) == .dead)
                engine.clock.advance(by: .milliseconds(1))  // distinct death times, so "oldest" is well defined
            }
            #expect(try await engine.counts().dead == 3)
            let listed = try await engine.inspector.jobs(queue: "q", state: .dead).jobs.map(\.id)
            #expect(listed == ids[2...].reversed())
            for id in ids[..<2] {
                #expect(try await engine.exists(engine.keys.queue("q").job(id)) == false)
                await expectOffloadError(.notFound) { try await engine.inspector.job(id) }
            }
            for id in ids[2...] { #expect(try await engine.job(id).state == .dead) }
        }
    }

    @Test func deadSetIsBoundedByAge() async throws {
        try await TestEngine.with({ $0.deadMaxAgeMilliseconds = 10_000 }) { engine in
            let old = try await engine.submit { $0.maxAttempts = 1 }.id
            var job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "old")) == .dead)
            engine.clock.advance(by: .seconds(5))
            let middle = try await engine.submit { $0.maxAttempts = 1 }.id
            job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "middle")) == .dead)
            #expect(try await engine.counts().dead == 2)

            engine.clock.advance(by: .seconds(6))  // `old` is 11 s dead, `middle` 6 s
            let young = try await engine.submit { $0.maxAttempts = 1 }.id
            job = try await engine.claimOne()
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "young")) == .dead)

            #expect(try await engine.counts().dead == 2)
            #expect(try await engine.exists(engine.keys.queue("q").job(old)) == false)
            #expect(try await engine.job(middle).state == .dead)
            #expect(try await engine.job(young).state == .dead)
        }
    }

    @Test func reapedJobsRespectDeadRetentionToo() async throws {
        try await TestEngine.with({ $0.deadMaxCount = 1 }) { engine in
            let first = try await engine.submit { $0.maxAttempts = 1 }.id
            _ = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 1))
            let second = try await engine.submit { $0.maxAttempts = 1 }.id
            _ = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (0, 1))
            #expect(try await engine.counts().dead == 1)
            #expect(try await engine.exists(engine.keys.queue("q").job(first)) == false)
            #expect(try await engine.job(second).state == .dead)
        }
    }

    @Test func manualRetryOfADeadJobStartsAfresh() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit { $0.maxAttempts = 2; $0.priority = 5 }
            var job = try await engine.claimOne()
            #expect(try await engine.broker.reportProgress(job, percent: 30, message: "some"))
            #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "no"), disposition: .dead) == .dead)

            try await engine.inspector.retry(submitted.id)
            var record = try await engine.job(submitted.id)
            #expect(record.state == .pending)
            #expect(record.attempts == 0)
            #expect(record.error == nil && record.finishedAt == nil && record.progress == nil && record.worker == nil)
            #expect(record.priority == 5 && record.maxAttempts == 2)
            let counts = try await engine.counts()
            #expect(counts.dead == 0 && counts.pending == 1)
            #expect(try await engine.eventNames(of: submitted.id).last == "retried")

            job = try await engine.claimOne()
            #expect(job.attempt == 1)
            #expect(try await engine.broker.complete(job, resultJSON: #""second life""#))
            record = try await engine.job(submitted.id)
            #expect(record.state == .completed && record.result == .string("second life"))

            // Only dead or cancelled jobs can be retried.
            await expectOffloadError(.conflict) { try await engine.inspector.retry(submitted.id) }
            let waiting = try await engine.submit()
            await expectOffloadError(.conflict) { try await engine.inspector.retry(waiting.id) }
            #expect(try await engine.job(waiting.id).state == .pending)
        }
    }

    /// Retrying a whole dead set while a worker fails the retried jobs again: each job that
    /// was dead when the walk began runs once more, and the walk ends.
    @Test func retryAllDeadRetriesEachDeadJobOnceWhileTheyDieAgain() async throws {
        try await TestEngine.with { engine in
            let count = 700  // more than one page of the walk
            for _ in 0..<count { try await engine.submit { $0.maxAttempts = 1 } }
            var claimed = 0
            while claimed < count {
                let jobs = try await engine.claim(limit: 256).jobs
                for job in jobs { #expect(try await engine.broker.fail(job, error: JobError(type: "E", message: "first")) == .dead) }
                claimed += jobs.count
            }
            let stale = "q.01KB0000000000000000000000"
            _ = try await engine.client.send("ZADD", .string(engine.keys.queue("q").dead), "1", .string(stale))
            engine.clock.advance(by: .milliseconds(1))  // the deaths below come later

            let walk = Task { try await engine.inspector.retryAllDead(queue: "q") }
            var failedAgain = 0
            while failedAgain < count {
                let jobs = try await engine.claim(limit: 64).jobs
                for job in jobs { _ = try await engine.broker.fail(job, error: JobError(type: "E", message: "again")) }
                failedAgain += jobs.count
                if jobs.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
            }
            #expect(try await walk.value == count)
            #expect(try await engine.counts().dead == count, "every job died a second time and stayed dead")
            #expect(try await engine.counts().pending == 0)
            let deadSet = try await engine.client.send("ZSCORE", .string(engine.keys.queue("q").dead), .string(stale))
            #expect(deadSet.isNull, "the stale entry was dropped")
        }
    }

    @Test func manualRetryOfACancelledJob() async throws {
        try await TestEngine.with { engine in
            let submitted = try await engine.submit()
            #expect(try await engine.inspector.cancel(submitted.id) == .cancelled)
            try await engine.inspector.retry(submitted.id)
            #expect(try await engine.job(submitted.id).state == .pending)
            // The retried job is no longer swept with the cancelled ones.
            #expect(try await engine.keptUntil(submitted.id, in: engine.keys.queue("q").cancelled) == nil)
            #expect(try await engine.counts().cancelled == 0)
            engine.clock.advance(by: .seconds(engine.settings.defaultResultTTLSeconds + 1))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.job(submitted.id).state == .pending)
            #expect(try await engine.claimOne().id == submitted.id)
        }
    }

    @Test func retryDelayIsFullJitterWithinTheCappedExponential() async throws {
        var settings = BrokerSettings()
        settings.retryBaseMilliseconds = 100
        settings.retryCapMilliseconds = 1_000
        let client = try TestRedis.makeClient()  // never used: the delay is computed locally
        let broker = Broker(redis: client, settings: settings)
        for (attempt, ceiling) in [(0, 100), (1, 100), (2, 200), (3, 400), (4, 800), (5, 1_000), (6, 1_000), (64, 1_000), (Int.max, 1_000)] {
            let delays = (0..<300).map { _ in broker.retryDelayMilliseconds(attempt: attempt) }
            #expect(delays.allSatisfy { (0...ceiling).contains($0) }, "attempt \(attempt)")
            // Jitter really spreads the delays over the range.
            #expect(delays.max()! > ceiling / 2, "attempt \(attempt)")
            #expect(delays.min()! < ceiling / 2, "attempt \(attempt)")
            #expect(Set(delays).count > 10, "attempt \(attempt)")
        }
        settings.retryBaseMilliseconds = 0
        #expect(Broker(redis: client, settings: settings).retryDelayMilliseconds(attempt: 3) == 0)
        await client.shutdown()
    }
}
