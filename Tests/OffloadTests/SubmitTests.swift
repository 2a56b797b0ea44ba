import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Submitting: idempotency, backpressure, batches, validation, lost scripts.
@Suite struct SubmitTests {
    /// The API, the CLI, schedules and `OffloadClient` all submit through the broker, so
    /// this is the one place the rule holds: no worker serves it, no job.
    @Test func aTypeNoWorkerServesIsRefusedUnlessAllowed() async throws {
        try await TestEngine.with { engine in
            await #expect(throws: OffloadError(.unknownJobType, "no worker serves job type 'not.deployed'")) {
                try await engine.broker.submit(JobSubmission(type: "not.deployed", queue: "q"))
            }
            let batch = try await engine.broker.submit(batch: [
                JobSubmission(type: "test.echo", queue: "q"), JobSubmission(type: "not.deployed", queue: "q"),
            ])
            #expect((try? batch[0].get()) != nil)
            #expect(throws: OffloadError(.unknownJobType, "no worker serves job type 'not.deployed'")) { try batch[1].get() }
            #expect(try await engine.inspector.counts()["q"]?.pending == 1)

            let early = try await engine.broker.submit(JobSubmission(type: "not.deployed", queue: "q", allowUnknownType: true))
            #expect(try await engine.inspector.job(early.id).type == "not.deployed")
            // Once a worker publishes the type, a plain submit goes through.
            try await engine.broker.publishJobTypes(["not.deployed"])
            try await waitUntil("a submit of the published type goes through") {
                try await engine.broker.submit(JobSubmission(type: "not.deployed", queue: "q")).created
            }
        }
    }

    @Test func sameIdempotencyKeyReturnsTheFirstJob() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit(payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            #expect(first.created)
            let again = try await engine.submit(payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            #expect(again.id == first.id)
            #expect(again.created == false)
            #expect(again.state == .pending)
            #expect(try await engine.counts().pending == 1)
            #expect(try await engine.job(first.id).payload == .object(["v": .number(1)]))

            // The key keeps naming the job through its life.
            let job = try await engine.claimOne()
            #expect(try await engine.broker.complete(job, resultJSON: "1"))
            let afterwards = try await engine.submit(payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            #expect(afterwards.id == first.id && !afterwards.created && afterwards.state == .completed)

            let other = try await engine.submit { $0.idempotencyKey = "order-18" }
            #expect(other.created && other.id != first.id)
            let noKey = try await engine.submit()
            #expect(noKey.created && noKey.id != first.id && noKey.id != other.id)
            // Keys are per queue.
            let elsewhere = try await engine.submit(queue: "other") { $0.idempotencyKey = "order-17" }
            #expect(elsewhere.created && elsewhere.id != first.id)
            #expect(try await engine.eventNames(of: first.id).filter { $0 == "submitted" }.count == 1)
        }
    }

    /// A key stands for one request: reusing it for another job is the client's mistake,
    /// answered as such (the IETF Idempotency-Key draft asks for 422), with nothing stored.
    @Test func aKeyReusedForAnotherTypeOrPayloadIsRefused() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit(payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            let otherPayload = await expectOffloadError(.invalid) {
                try await engine.submit(payload: #"{"v":2}"#) { $0.idempotencyKey = "order-17" }
            }
            #expect(otherPayload?.message.contains(first.id) == true, "\(String(describing: otherPayload))")
            #expect(otherPayload?.message.contains("order-17") == true)
            await expectOffloadError(.invalid) {
                try await engine.submit("test.other", payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            }
            #expect(try await engine.storedJobCount() == 1)
            #expect(try await engine.job(first.id).payload == .object(["v": .number(1)]))
            // The same request again is still answered with its job.
            let again = try await engine.submit(payload: #"{"v":1}"#) { $0.idempotencyKey = "order-17" }
            #expect(again.id == first.id && !again.created)
        }
    }

    @Test func duplicateKeysInOneBatchMakeOneJob() async throws {
        try await TestEngine.with { engine in
            let submission = JobSubmission(type: "test.echo", queue: "q", idempotencyKey: "k")
            let results = try await engine.broker.submit(batch: [submission, submission, submission])
            let jobs = try results.map { try $0.get() }
            #expect(Set(jobs.map(\.id)).count == 1)
            #expect(jobs.map(\.created) == [true, false, false])
            #expect(try await engine.counts().pending == 1)
        }
    }

    @Test func fullQueueRefusesWithRetryAfterAndStoresNothing() async throws {
        try await TestEngine.with { engine in
            try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 2))
            try await engine.submit()
            try await engine.submit { $0.delaySeconds = 30 }  // scheduled jobs count toward the depth
            let error = await expectOffloadError(.queueFull) { try await engine.submit() }
            #expect((error?.retryAfterSeconds ?? 0) > 0)
            #expect(error?.message.contains("2") == true)

            let counts = try await engine.counts()
            #expect(counts.pending == 1 && counts.scheduled == 1)
            #expect(try await engine.storedJobCount() == 2)
            #expect(try await engine.events().filter { $0.event == "submitted" }.count == 2)
            #expect(try await engine.inspector.queues().first { $0.name == "q" }?.settings.maxDepth == 2)

            // Running jobs do not count: once one is claimed there is room again.
            _ = try await engine.claimOne()
            try await engine.submit()
            await expectOffloadError(.queueFull) { try await engine.submit() }
            // Removing the limit lifts it.
            try await engine.inspector.setSettings(queue: "q", QueueSettings())
            try await engine.submit()
            #expect(try await engine.counts().pending == 2)
            await expectOffloadError(.invalid) { try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 0)) }
        }
    }

    @Test func fullQueueStillAnswersAKnownIdempotencyKey() async throws {
        try await TestEngine.with { engine in
            try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 1))
            let first = try await engine.submit { $0.idempotencyKey = "same" }
            let again = try await engine.submit { $0.idempotencyKey = "same" }
            #expect(again.id == first.id && !again.created)
            await expectOffloadError(.queueFull) { try await engine.submit { $0.idempotencyKey = "new" } }
            // The refused submit did not claim its key.
            #expect(try await engine.exists(engine.keys.queue("q").idempotency("new")) == false)
        }
    }

    @Test func batchPastTheMaxDepthRefusesEachExtraJob() async throws {
        try await TestEngine.with { engine in
            try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 2))
            let results = try await engine.broker.submit(batch: (0..<5).map { _ in JobSubmission(type: "t", queue: "q") })
            #expect(results.map { (try? $0.get()) != nil } == [true, true, false, false, false])
            for result in results.dropFirst(2) {
                guard case .failure(let error) = result else { continue }
                #expect(error.code == .queueFull && error.retryAfterSeconds != nil)
            }
            #expect(try await engine.counts().pending == 2)
            #expect(try await engine.storedJobCount() == 2)
        }
    }

    @Test func batchOf500InOneRoundTrip() async throws {
        try await TestEngine.with { engine in
            let batch = (0..<500).map { JobSubmission(type: "test.echo", payload: #"{"i":\#($0)}"#, queue: "q") }
            let results = try await engine.broker.submit(batch: batch)
            #expect(results.count == 500)
            let jobs = try results.map { try $0.get() }
            #expect(jobs.allSatisfy { $0.created && $0.state == .pending })
            #expect(Set(jobs.map(\.id)).count == 500)
            #expect(try await engine.counts().pending == 500)
            // Submission order is kept (FIFO).
            let claimed = try await engine.claim(limit: 500).jobs
            #expect(claimed.map(\.id) == jobs.map(\.id))
            #expect(claimed.last?.payload == #"{"i":499}"#)
        }
    }

    @Test func batchMixingQueuesAndPrioritiesKeepsEachQueuesOrder() async throws {
        try await TestEngine.with { engine in
            let plan: [(queue: String, priority: Int)] = [("a", 0), ("b", 0), ("a", 5), ("a", 0), ("b", 5), ("a", 5)]
            let batch = plan.enumerated().map { index, item in
                var submission = JobSubmission(type: "test.echo", payload: #"{"i":\#(index)}"#, queue: item.queue)
                submission.priority = item.priority
                return submission
            }
            let ids = try await engine.broker.submit(batch: batch).map { try $0.get().id }
            // Highest priority first, then submission order, within each queue.
            #expect(try await engine.claim(queue: "a", limit: 10).jobs.map(\.id) == [ids[2], ids[5], ids[0], ids[3]])
            #expect(try await engine.claim(queue: "b", limit: 10).jobs.map(\.id) == [ids[4], ids[1]])
            #expect(try await engine.inspector.queueNames() == ["a", "b"])
        }
    }

    @Test func aBatchWakesOneWaitingWorkerPerJob() async throws {
        try await TestEngine.with { engine in
            let connections = (0..<3).map { _ in engine.client.makeListWaiter() }
            // Three idle workers; whether they block before or after the batch lands, each
            // takes its own wake-up token. With fewer tokens than jobs, some would sleep
            // through their whole wait while jobs are pending.
            let woken = try await withThrowingTaskGroup(of: Bool.self) { group in
                for connection in connections {
                    // The timeout only bounds a hang: a woken worker returns at once.
                    group.addTask { try await engine.broker.waitForWork(on: connection, queues: ["q"], timeout: .seconds(30)) }
                }
                _ = try await engine.broker.submit(batch: (0..<3).map { _ in JobSubmission(type: "test.echo", queue: "q") })
                var woken: [Bool] = []
                for try await wasWoken in group { woken.append(wasWoken) }
                return woken
            }
            #expect(woken == [true, true, true])
            for connection in connections { await connection.shutdown() }
            // The tokens are capped: a big batch leaves at most 64.
            _ = try await engine.broker.submit(batch: (0..<100).map { _ in JobSubmission(type: "test.echo", queue: "q") })
            #expect(try await engine.client.send("LLEN", .string(engine.keys.queue("q").signal)).int == 64)
        }
    }

    // MARK: Submits at the same time (group commit)

    @Test func concurrentSubmitsShareScriptCallsAndEachGetsItsOwnJob() async throws {
        try await TestEngine.with { engine in
            let count = 300
            let jobs = try await withThrowingTaskGroup(of: (Int, SubmittedJob).self) { group in
                for index in 0..<count {
                    group.addTask { (index, try await engine.submit(payload: #"{"i":\#(index)}"#)) }
                }
                var jobs: [Int: SubmittedJob] = [:]
                for try await (index, job) in group { jobs[index] = job }
                return jobs
            }
            #expect(jobs.values.allSatisfy { $0.created && $0.state == .pending })
            #expect(Set(jobs.values.map(\.id)).count == count)
            for (index, job) in jobs {
                #expect(try await engine.job(job.id).payload == .object(["i": .number(Double(index))]), "job \(index)")
            }
            // Every job is named by exactly one `submitted` entry, and waiting submits went
            // together: fewer entries than jobs.
            let submitted = try await engine.events().filter { $0.event == "submitted" }
            #expect(submitted.flatMap(\.ids).sorted() == jobs.values.map(\.id).sorted())
            #expect(submitted.count < count)
            #expect(submitted.contains { $0.ids.count > 1 })
            // Pending order is the order the calls stored them in.
            #expect(try await engine.claim(limit: count).jobs.map(\.id) == submitted.flatMap(\.ids))
        }
    }

    @Test func concurrentSubmitsKeepIdempotencyAndMaxDepthPerJob() async throws {
        try await TestEngine.with { engine in
            try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 40))
            let outcomes = await withTaskGroup(of: Result<SubmittedJob, OffloadError>.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        do {
                            // Every other submit names the same key.
                            return .success(try await engine.submit { if index % 2 == 0 { $0.idempotencyKey = "same" } })
                        } catch let error as OffloadError {
                            return .failure(error)
                        } catch {
                            return .failure(OffloadError(.internalError, "\(error)"))
                        }
                    }
                }
                var outcomes: [Result<SubmittedJob, OffloadError>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let keyed = outcomes.compactMap { try? $0.get() }.filter { !$0.created }
            let created = outcomes.compactMap { try? $0.get() }.filter(\.created)
            let refused = outcomes.compactMap { outcome -> OffloadError? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(created.count == 40)
            #expect(refused.count + created.count + keyed.count == 100)
            #expect(refused.allSatisfy { $0.code == .queueFull })
            // The keyed submits that were not refused all name one job, created once.
            let keyedIDs = Set(keyed.map(\.id))
            #expect(keyedIDs.count <= 1)
            if let id = keyedIDs.first { #expect(created.contains { $0.id == id }) }
            #expect(try await engine.counts().pending == 40)
            #expect(try await engine.storedJobCount() == 40)
        }
    }

    @Test func concurrentSubmitsAllFailWhenRedisIsDown() async throws {
        let client = try RedisClient.forTests(url: "redis://127.0.0.1:1")
        let broker = Broker(redis: client)
        let outcomes = await withTaskGroup(of: OffloadError.Code?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await broker.submit(JobSubmission(type: "test.echo", queue: "q"))
                        return nil
                    } catch let error as OffloadError {
                        return error.code
                    } catch {
                        return .internalError
                    }
                }
            }
            var codes: [OffloadError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes.count == 20)
        #expect(outcomes.allSatisfy { $0 == .unavailable })
        await client.shutdown()
    }

    @Test func invalidItemFailsAloneInABatch() async throws {
        try await TestEngine.with { engine in
            var batch = (0..<5).map { JobSubmission(type: "test.echo", payload: #"{"i":\#($0)}"#, queue: "q") }
            batch[2].priority = 5_000
            batch[4].queue = "bad queue"
            let results = try await engine.broker.submit(batch: batch)
            #expect(results.count == 5)
            for index in [0, 1, 3] {
                #expect((try? results[index].get())?.created == true, "item \(index)")
            }
            for index in [2, 4] {
                guard case .failure(let error) = results[index] else {
                    Issue.record("item \(index) should have failed")
                    continue
                }
                #expect(error.code == .invalid)
            }
            #expect(try await engine.counts().pending == 3)
            #expect(try await engine.inspector.queueNames() == ["q"])
        }
    }

    @Test func emptyBatchIsNoOp() async throws {
        try await TestEngine.with { engine in
            #expect(try await engine.broker.submit(batch: []).isEmpty)
            let allInvalid = try await engine.broker.submit(batch: [JobSubmission(type: "bad type!", queue: "q")])
            #expect(allInvalid.count == 1)
            #expect((try? allInvalid[0].get()) == nil)
            #expect(try await engine.counts().pending == 0)
        }
    }

    @Test func validationNamesTheField() async throws {
        let cases: [(field: String, configure: @Sendable (inout JobSubmission) -> Void)] = [
            ("type", { $0.type = "" }),
            ("queue", { $0.queue = "a.b" }),
            ("priority", { $0.priority = -1_001 }),
            ("max_attempts", { $0.maxAttempts = 0 }),
            ("delay_seconds", { $0.delaySeconds = -1 }),
            ("delay_seconds", { $0.delaySeconds = .nan }),
            ("run_at", { $0.delaySeconds = 1; $0.runAtMilliseconds = 1 }),
            ("lease", { $0.leaseMilliseconds = 10 }),
            ("result_ttl", { $0.resultTTLSeconds = 0 }),
            ("idempotency", { $0.idempotencyKey = "" }),
        ]
        try await TestEngine.with { engine in
            for (field, configure) in cases {
                let error = await expectOffloadError(.invalid) { try await engine.submit(queue: "q", configure) }
                #expect(error?.message.contains(field) == true, "\(error?.message ?? "") should name \(field)")
            }
            let stored = try await engine.storedJobCount()
            #expect(stored == 0)
        }
    }

    @Test func submitSurvivesScriptFlush() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        do {
            try await TestEngine.with(url: server.url) { engine in
                let before = try await engine.submit()
                _ = try await engine.client.send("SCRIPT", "FLUSH")
                // The pipelined enqueue sees NOSCRIPT, reloads and resends once.
                let after = try await engine.submit()
                #expect(after.created && after.id != before.id)
                #expect(try await engine.counts().pending == 2)
                // Not resent twice.
                #expect(try await engine.events().filter { $0.event == "submitted" }.count == 2)

                _ = try await engine.client.send("SCRIPT", "FLUSH")
                let batch = try await engine.broker.submit(batch: (0..<3).map { _ in JobSubmission(type: "t", queue: "q") })
                #expect(batch.allSatisfy { (try? $0.get())?.created == true })
                _ = try await engine.client.send("SCRIPT", "FLUSH")
                // Single-script calls reload too.
                #expect(try await engine.claim(limit: 10).jobs.count == 5)
                // Stops at once; a spawned server may have SIGTERM blocked (inherited signal mask).
                _ = try? await engine.client.send("SHUTDOWN", "NOSAVE")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
