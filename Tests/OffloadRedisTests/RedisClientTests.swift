import Foundation
import OffloadTestSupport
import Testing

@testable import OffloadRedis

/// The client against a real redis-server.
@Suite struct RedisClientTests {
    @Test func roundTripsBinaryValues() async throws {
        let client = try TestRedis.makeClient()
        let key = TestRedis.uniquePrefix("bin")
        let value: [UInt8] = (0...255).map { UInt8($0) }
        try await client.send("SET", .string(key), .bytes(value), "EX", 60)
        #expect(try await client.send("GET", .string(key)) == .bulkString(value))
        #expect(try await client.send("GET", .string(key + ":missing")) == .null)
        await client.shutdown()
    }

    @Test func serverErrorsAreThrown() async throws {
        let client = try TestRedis.makeClient()
        await #expect(throws: RedisError.self) { try await client.send("NO-SUCH-COMMAND") }
        // The connection stays usable after an error reply.
        #expect(try await client.send("PING") == .simpleString("PONG"))
        await client.shutdown()
    }

    @Test func manyConcurrentCallersArePipelined() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: TestRedis.url).with(poolSize: 1))
        let key = TestRedis.uniquePrefix("counter")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 {
                group.addTask { _ = try await client.send("INCR", .string(key)) }
            }
            try await group.waitForAll()
        }
        #expect(try await client.send("GET", .string(key)).int == 1000)
        _ = try await client.send("DEL", .string(key))
        await client.shutdown()
    }

    @Test func pipelineKeepsOrderAndPerCommandErrors() async throws {
        let client = try TestRedis.makeClient()
        let key = TestRedis.uniquePrefix("pipe")
        let replies = try await client.pipeline([
            RedisCommand("SET", .string(key), "1"),
            RedisCommand("INCRBY", .string(key), "x"),
            RedisCommand("INCRBY", .string(key), "41"),
            RedisCommand("DEL", .string(key)),
        ])
        #expect(replies.count == 4)
        #expect(replies[0] == .simpleString("OK"))
        if case .error = replies[1] {} else { Issue.record("expected an error reply, got \(replies[1])") }
        #expect(replies[2] == .integer(42))
        #expect(replies[3] == .integer(1))
        await client.shutdown()
    }

    @Test func scriptsRunAndReloadAfterFlush() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let client = try RedisClient.forTests(url: server.url)
        let script = RedisScript(name: "add", source: "return tonumber(ARGV[1]) + tonumber(ARGV[2])")
        #expect(try await client.run(script, keys: [], arguments: [2, 3]) == .integer(5))
        _ = try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.run(script, keys: [], arguments: [20, 22]) == .integer(42))
        await client.shutdown()
        await server.stop()
    }

    @Test func reconnectsAfterServerRestart() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let client = try RedisClient.forTests(url: server.url)
        #expect(try await client.send("SET", "before", "1") == .simpleString("OK"))
        try await server.restart()
        // The next command after the restart succeeds on a fresh connection.
        #expect(try await client.send("PING") == .simpleString("PONG"))
        await client.shutdown()
        await server.stop()
    }

    @Test func unreachableServerFailsFast() async throws {
        let port = try FreePort.next()
        var configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(port)")
        configuration.connectTimeout = .milliseconds(500)
        let client = RedisClient(configuration: configuration)
        do {
            _ = try await client.send("PING")
            Issue.record("PING to a closed port succeeded")
        } catch {
            #expect(error.isUnavailable)
        }
        await client.shutdown()
    }

    @Test func commandTimeoutFiresWhenServerStalls() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.commandTimeout = .milliseconds(300)
        let client = RedisClient(configuration: configuration)
        // On a loaded machine 300 ms can pass on a healthy server too, now and then; a
        // stalled one times out every time.
        func answers() async -> Bool {
            for _ in 0..<20 where (try? await client.send("PING")) == .simpleString("PONG") { return true }
            return false
        }
        #expect(await answers())
        server.pause()
        let started = ContinuousClock.now
        await #expect(throws: RedisError.timeout) { try await client.send("PING") }
        // The bound only tells a timeout that fired from a command left hanging: far past
        // the 300 ms asked for, so a loaded machine cannot trip it.
        #expect(ContinuousClock.now - started < .seconds(15))
        server.resume()
        #expect(await answers())
        await client.shutdown()
        await server.stop()
    }

    @Test func authAndSelectFromURL() async throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "s3cret"])
        try await server.start()
        let noAuth = try RedisClient.forTests(url: server.url)
        await #expect(throws: RedisError.self) { try await noAuth.send("PING") }
        await noAuth.shutdown()

        let client = try RedisClient.forTests(url: "redis://:s3cret@127.0.0.1:\(server.port)/3")
        try await client.send("SET", "where", "db3")
        let reference = try RedisClient.forTests(url: "redis://default:s3cret@127.0.0.1:\(server.port)/3")
        #expect(try await reference.send("GET", "where").string == "db3")
        let otherDatabase = try RedisClient.forTests(url: "redis://:s3cret@127.0.0.1:\(server.port)/0")
        #expect(try await otherDatabase.send("GET", "where") == .null)

        _ = try await client.send("ACL", "SETUSER", "app", "on", ">apppass", "~*", "+@all")
        let aclUser = try RedisClient.forTests(url: "redis://app:apppass@127.0.0.1:\(server.port)")
        #expect(try await aclUser.send("ACL", "WHOAMI").string == "app")
        for client in [client, reference, otherDatabase, aclUser] { await client.shutdown() }
        await server.stop()
    }

    @Test func blockingCommandsUseTheirOwnConnection() async throws {
        let client = try TestRedis.makeClient()
        let dedicated = client.makeDedicatedConnection()
        let key = TestRedis.uniquePrefix("list")
        // Named, so the server's client list shows when its BLPOP is blocked.
        _ = try await dedicated.send(RedisCommand("CLIENT", "SETNAME", .string(key)), timeout: .seconds(30))
        // The server-side timeout only bounds a hang: the push below ends the wait.
        async let popped = dedicated.send(RedisCommand("BLPOP", .string(key), "30"), timeout: .seconds(40))
        try await waitUntil("BLPOP blocks on its own connection") {
            let clients = try await client.send("CLIENT", "LIST").string ?? ""
            return clients.split(separator: "\n").contains { $0.contains(" name=\(key) ") && $0.contains(" cmd=blpop") }
        }
        // The pool is not held up while BLPOP waits.
        #expect(try await client.send("PING") == .simpleString("PONG"))
        try await client.send("RPUSH", .string(key), "job")
        #expect(try await popped == .array([.bulkString(Array(key.utf8)), .bulkString(Array("job".utf8))]))
        await dedicated.shutdown()
        await client.shutdown()
    }
}

@Suite struct RedisConfigurationTests {
    @Test func parsesFullURL() throws {
        let configuration = try RedisConfiguration(url: "rediss://alice:p%40ss@redis.example:6380/2")
        #expect(configuration.host == "redis.example")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "alice")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 2)
        #expect(configuration.useTLS)
    }

    @Test func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.password == nil)
        #expect(!configuration.useTLS)
    }

    @Test func rejectsBadURLs() {
        for url in ["http://x:1", "redis://", "redis://h:1/notadb", "not a url", "redis://h:99999"] {
            #expect(throws: RedisError.self, "\(url)") { try RedisConfiguration(url: url) }
        }
    }

    @Test func redactsPasswords() {
        #expect(!RedisConfiguration.redacted("redis://u:secret@h:1").contains("secret"))
    }
}
