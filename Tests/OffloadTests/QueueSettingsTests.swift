import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// A queue's own retention settings: every script that finishes a job reads them, so they
/// win over the defaults of whichever process finishes it; a job's own result TTL wins over
/// the queue's.
@Suite struct QueueSettingsTests {
    @Test func theQueueResultTTLKeepsCompletedAndCancelledJobsThatLong() async throws {
        try await TestEngine.with { engine in
            let queue = engine.keys.queue("q")
            try await engine.inspector.setSettings(queue: "q", QueueSettings(resultTTLSeconds: 5))
            let plain = try await engine.submit()
            let ownTTL = try await engine.submit { $0.resultTTLSeconds = 60 }
            let stored = try await engine.broker.complete(try await engine.claim(limit: 2).jobs.map { ($0, "1") })
            #expect(stored == [true, true])
            let waiting = try await engine.submit()
            #expect(try await engine.inspector.cancel(waiting.id) == .cancelled)

            let now = Int(engine.clock.nowMilliseconds())
            #expect(try await engine.keptUntil(plain.id, in: queue.completed) == now + 5_000)
            #expect(try await engine.keptUntil(ownTTL.id, in: queue.completed) == now + 60_000, "the job's own TTL wins")
            #expect(try await engine.keptUntil(waiting.id, in: queue.cancelled) == now + 5_000)

            engine.clock.advance(by: .seconds(6))
            _ = try await engine.broker.reapExpiredLeases(queue: "q")
            #expect(try await engine.exists(queue.job(plain.id)) == false)
            #expect(try await engine.exists(queue.job(waiting.id)) == false)
            #expect(try await engine.exists(queue.job(ownTTL.id)))
        }
    }

    @Test func withoutQueueSettingsTheProcessDefaultsApply() async throws {
        try await TestEngine.with({ $0.defaultResultTTLSeconds = 120 }) { engine in
            try await engine.inspector.setSettings(queue: "q", QueueSettings(resultTTLSeconds: 5))
            try await engine.inspector.setSettings(queue: "q", QueueSettings())  // back to the defaults
            #expect(try await engine.inspector.settings(queue: "q") == QueueSettings())
            let submitted = try await engine.submit()
            #expect(try await engine.broker.complete(try await engine.claimOne(), resultJSON: "1"))
            let now = Int(engine.clock.nowMilliseconds())
            #expect(try await engine.keptUntil(submitted.id, in: engine.keys.queue("q").completed) == now + 120_000)
        }
    }

    @Test func theQueueDeadBoundsTrimTheDeadSetWhenJobsDie() async throws {
        try await TestEngine.with { engine in
            let queue = engine.keys.queue("q")
            try await engine.inspector.setSettings(queue: "q", QueueSettings(deadMaxCount: 2, deadMaxAgeSeconds: 60))
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try await engine.submit { $0.maxAttempts = 1 }.id)
                #expect(try await engine.broker.fail(try await engine.claimOne(), error: JobError(type: "E", message: "\(index)")) == .dead)
                engine.clock.advance(by: .milliseconds(10))
            }
            // At most 2: the oldest went, with its job.
            #expect(try await engine.counts().dead == 2)
            #expect(try await engine.exists(queue.job(ids[0])) == false)

            // Older than 60 s: gone when the next job dies, here through an expired lease.
            engine.clock.advance(by: .seconds(61))
            let crashed = try await engine.submit { $0.maxAttempts = 1 }
            let job = try await engine.claimOne()
            engine.clock.advance(by: .milliseconds(UInt64(job.leaseMilliseconds) + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q").dead == 1)
            let dead = try await engine.client.send("ZRANGE", .string(queue.dead), "0", "-1")
            #expect(dead.array?.compactMap(\.string) == [crashed.id])
        }
    }

    /// A dead-set bound lowered far below the set's size: every call trims a bounded part,
    /// and none fails (a failing script would leave its job's event unsent and the set jammed).
    @Test func aDeadBoundFarBelowTheSetIsReachedOverSeveralPasses() async throws {
        try await TestEngine.with { engine in
            let queue = engine.keys.queue("q")
            // 9,100 dead jobs, written straight into Redis: more than Lua can unpack at once.
            let seed = """
                for i = 1, 9100 do
                  redis.call("HSET", KEYS[1] .. "d" .. i, "state", "dead", "type", "test.echo")
                  redis.call("ZADD", KEYS[2], ARGV[1] - 100000 + i, "d" .. i)
                end
                """
            _ = try await engine.client.send("EVAL", .string(seed), "2", .string(queue.jobPrefix), .string(queue.dead), .int(Int(engine.clock.nowMilliseconds())))
            try await engine.inspector.setSettings(queue: "q", QueueSettings(deadMaxCount: 100))

            let dying = try await engine.submit { $0.maxAttempts = 1 }
            #expect(try await engine.broker.fail(try await engine.claimOne(), error: JobError(type: "E", message: "x")) == .dead)
            #expect(try await engine.eventNames(of: dying.id).last == "dead", "the dead event went out")
            #expect(try await engine.counts().dead == 9_101 - 1_000)
            for _ in 0..<9 { _ = try await engine.broker.reapExpiredLeases(queue: "q") }
            #expect(try await engine.counts().dead == 100)
            #expect(try await engine.storedJobCount() == 100, "the trimmed jobs' hashes went with them")
            let kept = try await engine.client.send("ZRANGE", .string(queue.dead), "-1", "-1").array?.first?.string
            #expect(kept == dying.id, "the newest stay")
        }
    }

    @Test func settingsAreValidatedStoredListedAndReplacedWhole() async throws {
        try await TestEngine.with { engine in
            let settings = QueueSettings(maxDepth: 100, resultTTLSeconds: 3600, deadMaxCount: 50, deadMaxAgeSeconds: 86_400)
            try await engine.inspector.setSettings(queue: "q", settings)
            #expect(try await engine.inspector.settings(queue: "q") == settings)
            #expect(try await engine.inspector.queues().first { $0.name == "q" }?.settings == settings, "listed with the queue")

            try await engine.inspector.setSettings(queue: "q", QueueSettings(resultTTLSeconds: 60))
            #expect(try await engine.inspector.settings(queue: "q") == QueueSettings(resultTTLSeconds: 60), "unset settings go back to the default")

            for (bad, field) in [
                (QueueSettings(resultTTLSeconds: 0), "result_ttl_seconds"), (QueueSettings(resultTTLSeconds: 31 * 86_400), "result_ttl_seconds"),
                (QueueSettings(deadMaxCount: 0), "dead_max_count"), (QueueSettings(deadMaxAgeSeconds: 59), "dead_max_age_seconds"),
                (QueueSettings(maxDepth: -1), "max_depth"),
            ] {
                do {
                    try await engine.inspector.setSettings(queue: "q", bad)
                    Issue.record("\(bad) was accepted")
                } catch let error as OffloadError {
                    #expect(error.code == .invalid && error.message.contains(field))
                }
            }
            #expect(try await engine.inspector.settings(queue: "q") == QueueSettings(resultTTLSeconds: 60), "a refused change changes nothing")
        }
    }
}
