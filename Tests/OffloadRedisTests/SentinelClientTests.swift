import Foundation
import OffloadTestSupport
import Testing

@testable import OffloadRedis

/// The client against a real primary, two replicas and three sentinels.
@Suite struct SentinelClientTests {
    @Test func findsThePrimaryThroughTheSentinels() async throws {
        let deployment = try RedisSentinelProcesses()
        try await deployment.start()
        // The first sentinel named is down: the client asks the next.
        await deployment.sentinels[0].stop()
        let client = try RedisClient.forFailoverTests(url: deployment.url)
        try await client.send("SET", "greeting", "hello")
        let primary = try #require(try await deployment.currentPrimary())
        #expect(try await client.primaries().map(\.port) == [primary.port])
        let direct = try RedisClient.forTests(url: primary.url)
        #expect(try await direct.send("GET", "greeting").string == "hello")
        await direct.shutdown()
        await client.shutdown()
        await deployment.stop()
    }

    @Test func followsAFailoverTheSentinelsAnnounce() async throws {
        let deployment = try RedisSentinelProcesses()
        try await deployment.start()
        let client = try RedisClient.forFailoverTests(url: deployment.url)
        #expect(try await client.send("INCR", "n").int == 1)
        let before = try #require(try await deployment.currentPrimary())
        let waiter = client.makeDedicatedConnection()
        _ = try await client.send("WAIT", "2", "5000")
        try await deployment.failover()
        try await waitUntil("the sentinels name a new primary") { try await deployment.currentPrimary()?.port != before.port }
        // +switch-master (or READONLY from the demoted primary) moves the pool; the
        // counter is the one the new primary replicated.
        try await waitUntil("the client writes to the new primary") {
            _ = try await client.send("INCR", "n")
            return try await client.primaries().first?.port != before.port
        }
        // Writes the old primary took while being demoted may be gone; the first one the
        // new primary takes is counted on top of what was replicated before the failover.
        let counted = try #require(try await client.send("INCR", "n").int)
        #expect(counted >= 2)
        let after = try #require(try await deployment.currentPrimary())
        let direct = try RedisClient.forTests(url: after.url)
        #expect(try await direct.send("GET", "n").int == counted)
        await direct.shutdown()
        // A dedicated connection moves to the new primary too.
        _ = try await waiter.send(RedisCommand("BLPOP", "nothing", "0.1"), timeout: .seconds(30))
        #expect(try await waiter.send(RedisCommand("ROLE"), timeout: .seconds(30)).array?.first?.string == "master")
        await waiter.shutdown()
        await client.shutdown()
        await deployment.stop()
    }

    /// The old primary keeps taking writes, and its other replica keeps confirming them,
    /// until the sentinels re-point it; then all of it is replaced by the new primary's
    /// data. A client that holds its writes from `+try-failover` to `+switch-master` loses
    /// none it saw confirmed.
    @Test func noConfirmedWriteIsLostToAFailover() async throws {
        let deployment = try RedisSentinelProcesses()
        try await deployment.start()
        let client = try RedisClient.forFailoverTests(url: deployment.url)
        let before = try #require(try await deployment.currentPrimary())
        let confirmedOnce = ReplicaWait(replicas: 1, timeout: .seconds(5))
        // Each write adds its own number; the writer keeps the numbers a replica confirmed.
        let writer = Task { () -> Set<Int> in
            var confirmed = Set<Int>()
            var next = 0
            while !Task.isCancelled {
                next += 1
                guard let routed = try? await client.pipeline([RedisCommand("RPUSH", "log", .int(next))], replicaWait: confirmedOnce),
                    routed.replies[0].int != nil, routed.replicasConfirmed?[0] ?? 0 >= 1
                else { continue }
                confirmed.insert(next)
            }
            return confirmed
        }
        try await waitUntil("the writer is writing") { try await client.send("LLEN", "log").int ?? 0 > 100 }
        try await deployment.failover()
        try await waitUntil("the sentinels name a new primary") { try await deployment.currentPrimary()?.port != before.port }
        try await deployment.waitUntilHealthy()
        try await waitUntil("the client writes to the new primary") { try await client.primaries().first?.port != before.port }
        writer.cancel()
        let confirmed = await writer.value
        let after = try #require(try await deployment.currentPrimary())
        let direct = try RedisClient.forTests(url: after.url)
        let kept = Set(try await direct.send("LRANGE", "log", "0", "-1").array?.compactMap { $0.string.flatMap(Int.init) } ?? [])
        let lost = confirmed.subtracting(kept)
        #expect(lost.count == 0, "\(lost.count) of \(confirmed.count) confirmed writes lost, e.g. \(lost.sorted().prefix(5))")
        await direct.shutdown()
        await client.shutdown()
        await deployment.stop()
    }

    @Test func writesWaitOutAKilledPrimary() async throws {
        let deployment = try RedisSentinelProcesses(downAfter: .seconds(1))
        try await deployment.start()
        let client = try RedisClient.forFailoverTests(url: deployment.url)
        #expect(try await client.send("INCR", "n").int == 1)
        _ = try await client.send("WAIT", "2", "5000")
        let victim = try #require(try await deployment.currentPrimary())
        await victim.kill()
        // The sentinels keep reconfiguring this address: no other test's server may take it.
        let reservation = try PortReservation(port: victim.port)
        defer { withExtendedLifetime(reservation) {} }
        // Refused connections until the sentinels agree and promote a replica: one call. A
        // command already written to the dying primary's socket fails as "connection
        // closed" (its effect unknown, never re-sent silently); the dead primary ran none.
        var counted: Int?
        try await waitUntil("a write lands on the promoted replica") {
            do throws(RedisError) {
                counted = try await client.send("INCR", "n").int
                return true
            } catch .connectionClosed {
                return false
            }
        }
        #expect(counted == 2)
        #expect(try await client.primaries().first?.port != victim.port)
        await client.shutdown()
        await deployment.stop()
    }
}
