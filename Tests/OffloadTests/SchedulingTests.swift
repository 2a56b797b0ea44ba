import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Which job runs when: delays, priorities, pause/resume.
@Suite struct SchedulingTests {
    @Test func delayedJobWaitsUntilDue() async throws {
        try await TestEngine.with { engine in
            let now = engine.clock.nowMilliseconds()
            let submitted = try await engine.submit { $0.delaySeconds = 60 }
            #expect(submitted.state == .scheduled)
            var record = try await engine.job(submitted.id)
            #expect(record.state == .scheduled)
            #expect(record.runAt == date(milliseconds: now + 60_000))
            var counts = try await engine.counts()
            #expect(counts.scheduled == 1 && counts.pending == 0)

            var result = try await engine.claim()
            #expect(result.jobs.isEmpty)
            #expect(result.nextDueMilliseconds == now + 60_000)
            #expect(!result.paused)

            engine.clock.advance(by: .milliseconds(59_999))
            result = try await engine.claim()
            #expect(result.jobs.isEmpty)
            #expect(result.nextDueMilliseconds == now + 60_000)

            engine.clock.advance(by: .milliseconds(1))
            result = try await engine.claim()
            #expect(result.jobs.map(\.id) == [submitted.id])
            #expect(result.nextDueMilliseconds == nil)
            record = try await engine.job(submitted.id)
            #expect(record.state == .active && record.attempts == 1)
            counts = try await engine.counts()
            #expect(counts.scheduled == 0 && counts.active == 1)
        }
    }

    @Test func runAtSchedulesAtAnAbsoluteTime() async throws {
        try await TestEngine.with { engine in
            let runAt = engine.clock.nowMilliseconds() + 3_600_000
            let later = try await engine.submit { $0.runAtMilliseconds = runAt }
            #expect(later.state == .scheduled)
            // A run_at already past is due at once.
            let past = try await engine.submit { $0.runAtMilliseconds = engine.clock.nowMilliseconds() - 1_000 }
            #expect(past.state == .pending)
            let noDelay = try await engine.submit { $0.delaySeconds = 0 }
            #expect(noDelay.state == .pending)

            var result = try await engine.claim(limit: 10)
            #expect(result.jobs.map(\.id) == [past.id, noDelay.id])
            result = try await engine.claim(limit: 10)
            #expect(result.jobs.isEmpty)
            #expect(result.nextDueMilliseconds == runAt)

            engine.clock.advance(by: .seconds(3_600))
            result = try await engine.claim(limit: 10)
            #expect(result.jobs.map(\.id) == [later.id])
        }
    }

    @Test func dueJobsAreClaimedInDueOrderBehindNothing() async throws {
        try await TestEngine.with { engine in
            let second = try await engine.submit { $0.delaySeconds = 20 }
            let first = try await engine.submit { $0.delaySeconds = 10 }
            let third = try await engine.submit { $0.delaySeconds = 30 }
            var result = try await engine.claim()
            #expect(result.jobs.isEmpty)
            #expect(result.nextDueMilliseconds == engine.clock.nowMilliseconds() + 10_000)
            engine.clock.advance(by: .seconds(25))
            result = try await engine.claim(limit: 10)
            #expect(result.jobs.map(\.id) == [first.id, second.id])
            engine.clock.advance(by: .seconds(5))
            result = try await engine.claim(limit: 10)
            #expect(result.jobs.map(\.id) == [third.id])
        }
    }

    @Test func higherPriorityFirstThenFIFO() async throws {
        try await TestEngine.with { engine in
            var ids: [String: String] = [:]
            for (name, priority) in [("low1", 0), ("high1", 10), ("low2", 0), ("lowest", -1000), ("high2", 10), ("top", 1000), ("low3", 0)] {
                ids[name] = try await engine.submit { $0.priority = priority }.id
            }
            let order = ["top", "high1", "high2", "low1", "low2", "low3", "lowest"].map { ids[$0]! }
            // One at a time, as busy workers claim.
            var claimed: [String] = []
            for _ in order { claimed.append(try await engine.claimOne().id) }
            #expect(claimed == order)

            // In one batch too, and the listing of pending shows the same order.
            for (name, priority) in [("a", 1), ("b", 2), ("c", 1)] { ids[name] = try await engine.submit { $0.priority = priority }.id }
            let expected = ["b", "a", "c"].map { ids[$0]! }
            #expect(try await engine.inspector.jobs(queue: "q", state: .pending).jobs.map(\.id) == expected)
            #expect(try await engine.claim(limit: 10).jobs.map(\.id) == expected)
        }
    }

    @Test func requeuedJobKeepsItsPriority() async throws {
        try await TestEngine.with { engine in
            let urgent = try await engine.submit { $0.priority = 100 }
            _ = try await engine.claimOne()
            let normal = try await engine.submit()
            engine.clock.advance(by: .milliseconds(engine.settings.defaultLeaseMilliseconds + 1))
            #expect(try await engine.broker.reapExpiredLeases(queue: "q") == (1, 0))
            // Requeued after `normal`, but ahead of it by priority.
            #expect(try await engine.claim(limit: 2).jobs.map(\.id) == [urgent.id, normal.id])
        }
    }

    @Test func pausedQueueAcceptsButDoesNotHandOut() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit()
            try await engine.inspector.pause(queue: "q")
            let submitted = try await engine.submit()
            #expect(submitted.state == .pending)
            let paused = try await engine.claim(limit: 10)
            #expect(paused.paused)
            #expect(paused.jobs.isEmpty)
            #expect(try await engine.counts().pending == 2)
            #expect(try await engine.inspector.queues().first { $0.name == "q" }?.paused == true)

            try await engine.inspector.resume(queue: "q")
            #expect(try await engine.inspector.queues().first { $0.name == "q" }?.paused == false)
            // Resume wakes blocked workers, with at most as many wake-ups as the scripts keep.
            #expect(try await engine.client.send("LLEN", .string(engine.keys.queue("q").signal)).int ?? 0 > 0)
            for _ in 0..<100 { try await engine.inspector.resume(queue: "q") }
            #expect(try await engine.client.send("LLEN", .string(engine.keys.queue("q").signal)).int == 64)
            let resumed = try await engine.claim(limit: 10)
            #expect(!resumed.paused)
            #expect(resumed.jobs.map(\.id) == [first.id, submitted.id])
        }
    }

    @Test func pauseIsPerQueue() async throws {
        try await TestEngine.with { engine in
            try await engine.submit(queue: "slow")
            try await engine.inspector.pause(queue: "slow")
            let fast = try await engine.submit(queue: "fast")
            #expect(try await engine.claim(queue: "slow").paused)
            #expect(try await engine.claim(queue: "fast").jobs.map(\.id) == [fast.id])
            await expectOffloadError(.invalid) { try await engine.inspector.pause(queue: "no spaces") }
            // A mistyped name is not a new, paused queue.
            await expectOffloadError(.notFound) { try await engine.inspector.pause(queue: "slwo") }
            await expectOffloadError(.notFound) { try await engine.inspector.resume(queue: "slwo") }
            #expect(try await engine.inspector.queueNames().contains("slwo") == false)
        }
    }
}
