import Foundation
import OffloadTestSupport
import Testing

@testable import OffloadRedis

/// The client against a real 3-primary, 3-replica Redis Cluster.
@Suite struct ClusterClientTests {
    /// A standalone client straight to one node: it sees only that node's keys.
    private func direct(_ node: RedisServerProcess) throws -> RedisClient { try RedisClient.forTests(url: node.url) }

    @Test func eachKeyLandsOnThePrimaryThatOwnsItsSlot() async throws {
        let cluster = try await SharedRedisCluster.get()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let prefix = TestRedis.uniquePrefix("route")
        let keys = (0..<120).map { "\(prefix):\($0)" }
        for key in keys { try await client.send("SET", .string(key), .string(key), "EX", 300) }
        var nodesUsed = Set<Int>()
        for key in keys {
            let owner = try await cluster.primary(for: Int(HashSlot(key: key).value))
            let node = try direct(owner)
            #expect(try await node.send("GET", .string(key)).string == key)
            #expect(try await client.node(forKey: key).port == owner.port)
            nodesUsed.insert(owner.port)
            await node.shutdown()
        }
        #expect(nodesUsed.count == 3, "120 keys spread over the 3 primaries")
        await client.shutdown()
    }

    @Test func aPipelineOverSeveralNodesAnswersInOrder() async throws {
        let cluster = try await SharedRedisCluster.get()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let prefix = TestRedis.uniquePrefix("order")
        var commands: [RedisCommand] = []
        for index in 0..<200 {
            commands.append(RedisCommand("SET", .string("\(prefix):\(index)"), .int(index), "EX", 300))
            commands.append(RedisCommand("INCR", .string("\(prefix):\(index)")))
        }
        commands.append(RedisCommand("PING"))
        commands.append(RedisCommand("HGET", .string("\(prefix):0"), "f"))  // WRONGTYPE, as a value
        let replies = try await client.pipeline(commands)
        #expect(replies.count == commands.count)
        for index in 0..<200 {
            #expect(replies[2 * index] == .simpleString("OK"))
            #expect(replies[2 * index + 1] == .integer(Int64(index + 1)))
        }
        #expect(replies[400] == .simpleString("PONG"))
        #expect(replies[401].errorMessage?.hasPrefix("WRONGTYPE") == true)
        await client.shutdown()
    }

    @Test func aCrossSlotCommandIsRefusedHereNotByRedis() async throws {
        let cluster = try await SharedRedisCluster.get()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        await #expect {
            try await client.send("MGET", "a-key", "another-key")
        } throws: { error in
            guard case .crossSlot(let reason)? = error as? RedisError else { return false }
            return reason.contains("MGET")
        }
        await #expect(throws: RedisError.self) { try await client.pipeline([RedisCommand("DEL", "x1", "x2")]) }
        // Keys sharing a hash tag may go together.
        let tag = TestRedis.uniquePrefix("tag")
        try await client.send("MSET", .string("{\(tag)}:a"), "1", .string("{\(tag)}:b"), "2")
        #expect(try await client.send("MGET", .string("{\(tag)}:a"), .string("{\(tag)}:b")).array?.compactMap(\.int) == [1, 2])
        await client.shutdown()
    }

    @Test func aScriptIsLoadedOnEachNodeThatLacksIt() async throws {
        let cluster = try await SharedRedisCluster.get()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let script = RedisScript(name: "echo-\(UUID().uuidString)", source: "return redis.call('INCR', KEYS[1]) -- \(UUID())")
        let prefix = TestRedis.uniquePrefix("script")
        // Single calls and one pipeline over keys on every node: each node answers
        // NOSCRIPT once and is sent the script.
        let keys = (0..<30).map { "\(prefix):\($0)" }
        #expect(try await client.run(script, keys: [keys[0]], arguments: []).int == 1)
        let replies = try await client.pipeline(keys.map { client.scriptCommand(script, keys: [$0], arguments: []) })
        #expect(replies.map(\.int) == [2] + Array(repeating: 1, count: 29))
        await client.shutdown()
    }

    @Test func aListWaiterWakesForAListOnAnyNode() async throws {
        let cluster = try await SharedRedisCluster.get()
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let prefix = TestRedis.uniquePrefix("wait")
        // Lists on all three primaries.
        var lists: [String] = []
        var ports = Set<Int>()
        var index = 0
        while ports.count < 3 {
            let key = "{\(prefix)-\(index)}:signal"
            if ports.insert(try await client.node(forKey: key).port).inserted { lists.append(key) }
            index += 1
        }
        let waiter = client.makeListWaiter()
        #expect(try await waiter.popFirst(of: lists, timeout: .milliseconds(200)) == nil)
        for list in lists {
            async let popped = waiter.popFirst(of: lists, timeout: .seconds(60))
            // Before or after the waits are in place: BLPOP takes an entry already there.
            _ = try await client.send("LPUSH", .string(list), "1")
            #expect(try await popped == list)
            #expect(try await client.send("LLEN", .string(list)).int == 0)
        }
        await waiter.shutdown()
        await client.shutdown()
    }
}
