import Foundation
import OffloadTestSupport
import Testing

@testable import OffloadRedis

/// The client while a real cluster changes under it: a slot moved (MOVED), a slot half
/// migrated (ASK), a primary killed (failover). Each test has a cluster of its own.
@Suite struct ClusterChangeTests {
    @Test func aMovedSlotIsFollowed() async throws {
        let cluster = try RedisClusterProcesses()
        try await cluster.start()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let key = "{moving}:counter"
        let slot = Int(HashSlot(key: key).value)
        try await client.send("SET", .string(key), "1")
        let source = try await cluster.primary(for: slot)
        let target = try await cluster.primaries().first { $0.node.port != source.port }!.node
        try await cluster.beginMigration(of: slot, to: target)
        try await cluster.migrateKeys(of: slot, from: source, to: target)
        try await cluster.finishMigration(of: slot, to: target)
        // The client's map still says `source`: MOVED, then the new owner.
        #expect(try await client.send("INCR", .string(key)).int == 2)
        #expect(try await client.node(forKey: key).port == target.port)
        let replies = try await client.pipeline([RedisCommand("INCR", .string(key)), RedisCommand("GET", .string(key))])
        #expect(replies.map(\.int) == [3, 3])
        await client.shutdown()
        await cluster.stop()
    }

    @Test func aHalfMigratedSlotIsServedThroughAsk() async throws {
        let cluster = try RedisClusterProcesses()
        try await cluster.start()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let moved = "{half}:moved", stays = "{half}:stays"
        let slot = Int(HashSlot(key: moved).value)
        try await client.send("SET", .string(moved), "m")
        let source = try await cluster.primary(for: slot)
        let target = try await cluster.primaries().first { $0.node.port != source.port }!.node
        try await cluster.beginMigration(of: slot, to: target)
        try await cluster.migrateKeys(of: slot, from: source, to: target)
        // Now `moved` lives on the target, the slot on the source: ASK for it.
        #expect(try await client.send("GET", .string(moved)).string == "m")
        // A new key of a migrating slot is created on the target, also through ASK.
        try await client.send("SET", .string(stays), "s")
        #expect(try await client.pipeline([RedisCommand("GET", .string(moved)), RedisCommand("GET", .string(stays))]).map(\.string) == ["m", "s"])
        // ASK does not change the map: the slot is still the source's until finished.
        #expect(try await client.node(forKey: moved).port == source.port)
        try await cluster.finishMigration(of: slot, to: target)
        #expect(try await client.send("GET", .string(stays)).string == "s")
        await client.shutdown()
        await cluster.stop()
    }

    @Test func writesWaitOutTheFailoverOfAKilledPrimary() async throws {
        let cluster = try RedisClusterProcesses(nodeTimeout: .seconds(2))
        try await cluster.start()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let key = "{failover}:counter"
        let slot = Int(HashSlot(key: key).value)
        // On the replica before the kill (a replica still syncing answers WAIT with 0). WAIT
        // rides the write's pipeline: it counts its own connection's writes, and alone (no
        // key) it would go to any primary.
        try await waitUntil("the replica has the first write") {
            let replies = try await client.pipeline([RedisCommand("SET", .string(key), "1"), RedisCommand("WAIT", "1", "5000")])
            return replies.last?.int == 1
        }
        let victim = try await cluster.primary(for: slot)
        await victim.kill()
        // Refused connections, then CLUSTERDOWN, then the promoted replica: one call. Only a
        // command written on a pooled connection before the client saw the kill close it
        // fails as `connectionClosed` (effect unknown, so never retried by the client); the
        // server was dead, so it did not run, and the caller sends it again.
        var afterKill: Int?
        for _ in 0..<2 where afterKill == nil {
            do {
                afterKill = try await client.send("INCR", .string(key)).int
            } catch RedisError.connectionClosed {
                continue
            }
        }
        #expect(afterKill == 2)
        #expect(try await client.node(forKey: key).port != victim.port)
        // The old primary comes back as a replica of the new one.
        try await victim.start()
        try await cluster.waitUntilHealthy()
        #expect(try await client.send("INCR", .string(key)).int == 3)
        await client.shutdown()
        await cluster.stop()
    }
}
