import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Pending jobs live in one list per priority level; what users see must not depend on
/// that: counts, listing order, cancellation, purge and the oldest job's age.
@Suite struct PendingLevelsTests {
    /// Submits jobs of mixed priorities; returns their ids in the order they will be claimed.
    private func submitMixed(_ engine: TestEngine) async throws -> [String] {
        var byPriority: [Int: [String]] = [:]
        for priority in [0, 5, -3, 0, 5, 7, -3, 0] {
            byPriority[priority, default: []].append(try await engine.submit { $0.priority = priority }.id)
        }
        return byPriority.keys.sorted(by: >).flatMap { byPriority[$0]! }
    }

    @Test func listingWalksLevelsInClaimOrderAcrossPages() async throws {
        try await TestEngine.with { engine in
            let order = try await submitMixed(engine)
            #expect(try await engine.counts().pending == 8)
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await engine.inspector.jobs(queue: "q", state: .pending, cursor: cursor, limit: 3)
                seen += page.jobs.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil && seen.count < 20
            #expect(seen == order)
            let claimed = try await engine.claim(limit: 8).jobs.map(\.id)
            #expect(claimed == order, "claims follow the listing")
            #expect(try await engine.counts().pending == 0)
        }
    }

    @Test func cancellingAWaitingJobTakesItOutOfItsLevel() async throws {
        try await TestEngine.with { engine in
            var order = try await submitMixed(engine)
            let lonelySeven = order.removeFirst()  // the only job at priority 7
            let middleFive = order.remove(at: 1)
            #expect(try await engine.inspector.cancel(lonelySeven) == .cancelled)
            #expect(try await engine.inspector.cancel(middleFive) == .cancelled)
            let counts = try await engine.counts()
            #expect(counts.pending == 6 && counts.cancelled == 2)
            let levels = try await engine.client.send("ZRANGE", .string(engine.keys.queue("q").pendingLevels), "0", "-1")
            #expect(levels.array?.compactMap(\.string) == ["5", "0", "-3"], "an emptied level is dropped")
            #expect(try await engine.claim(limit: 10).jobs.map(\.id) == order)
        }
    }

    @Test func purgeEmptiesEveryLevel() async throws {
        try await TestEngine.with { engine in
            let order = try await submitMixed(engine)
            #expect(try await engine.inspector.purge(queue: "q", state: .pending) == order.count)
            #expect(try await engine.counts().pending == 0)
            #expect(try await engine.claim(limit: 10).jobs.isEmpty)
            let levels = try await engine.client.send("EXISTS", .string(engine.keys.queue("q").pendingLevels))
            #expect(levels.int == 0)
        }
    }

    @Test func oldestPendingAgeComesFromTheOldestHeadOfAnyLevel() async throws {
        try await TestEngine.with { engine in
            _ = try await engine.submit { $0.priority = 0 }
            engine.clock.advance(by: .seconds(30))
            _ = try await engine.submit { $0.priority = 9 }
            engine.clock.advance(by: .seconds(15))
            var info = try await engine.inspector.queues().first { $0.name == "q" }
            #expect(info?.oldestPendingAgeSeconds == 45, "the low-priority job waits longest")
            _ = try await engine.claim(limit: 1)  // the priority-9 job
            info = try await engine.inspector.queues().first { $0.name == "q" }
            #expect(info?.oldestPendingAgeSeconds == 45)
            _ = try await engine.claim(limit: 1)
            info = try await engine.inspector.queues().first { $0.name == "q" }
            #expect(info?.oldestPendingAgeSeconds == 0 && info?.counts.pending == 0)
        }
    }

    @Test func idempotencyKeyOfAPurgedJobSubmitsAnew() async throws {
        try await TestEngine.with { engine in
            let first = try await engine.submit { $0.idempotencyKey = "invoice-9" }
            #expect(try await engine.inspector.purge(queue: "q", state: .pending) == 1)
            let again = try await engine.submit { $0.idempotencyKey = "invoice-9" }
            #expect(again.created && again.id != first.id)
            #expect(try await engine.job(again.id).state == .pending)
            let third = try await engine.submit { $0.idempotencyKey = "invoice-9" }
            #expect(!third.created && third.id == again.id)
        }
    }
}
