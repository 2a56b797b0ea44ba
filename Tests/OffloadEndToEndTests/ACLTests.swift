import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

/// The least-privileged Redis ACL user Offload runs with (documented in RELIABILITY.md):
/// exactly the commands in `Sources/` (Swift side and Lua scripts), keys under the prefix,
/// no channels.
@Suite(.timeLimit(.minutes(2))) struct ACLTests {
    static let password = "offload-acl-test-pass"

    /// Keep in sync with RELIABILITY.md ("Minimal Redis ACL user").
    static let setUser: [String] = [
        "ACL", "SETUSER", "offload", "reset", "on", ">\(password)", "~offload:*", "resetchannels", "-@all",
        // connection set-up and health; ROLE on a primary found through sentinels
        "+ping", "+select", "+role",
        // Redis Cluster routing, and --min-replicas
        "+cluster|shards", "+cluster|slots", "+asking", "+wait",
        // scripts (every state change), loaded again on NOSCRIPT
        "+evalsha", "+script|load",
        // plain commands sent from Swift (registry, inspector, operations, event following)
        "+blpop", "+sadd", "+smembers", "+sismember", "+srem", "+ltrim", "+zrange", "+zcard", "+zadd", "+zrem", "+hgetall", "+hget", "+hmget", "+hset",
        "+hdel", "+hkeys", "+exists", "+set", "+get", "+del", "+lpush", "+xread", "+xrevrange",
        // called only inside the Lua scripts
        "+llen", "+rpush", "+lpop", "+lrem", "+lindex", "+lrange", "+expire", "+hincrby", "+zrangebyscore",
        "+zremrangebyscore", "+zremrangebyrank", "+xadd",
    ]

    /// Every command the Lua scripts call is in the user's list: a script calling one more
    /// fails with NOPERM under the documented user, maybe on a path no other test takes.
    @Test func theUserAllowsEveryCommandTheScriptsCall() {
        let allowed = Set(Self.setUser.filter { $0.hasPrefix("+") }.map { $0.dropFirst().lowercased() })
        var called = Set<String>()
        for script in QueueScripts.all {
            for line in script.source.split(separator: "\n") {
                var rest = line[...]
                while let start = rest.range(of: "redis.call(") {
                    rest = rest[start.upperBound...]
                    let command = rest.prefix { $0 != "," && $0 != ")" }  // `front and "LPUSH" or "RPUSH"` too
                    for match in command.matches(of: /"([A-Z]+)"/) { called.insert(match.1.lowercased()) }
                }
            }
        }
        #expect(called.count > 20, "\(called)")
        #expect(called.subtracting(allowed).isEmpty, "called by the scripts, missing from the user: \(called.subtracting(allowed).sorted())")
    }

    @Test func apiAndWorkerRunWithTheMinimalACLUser() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let admin = try RedisClient.forTests(url: redis.url)
        _ = try await admin.send(RedisCommand(Self.setUser.map { RedisArgument.string($0) }))

        let userURL = "redis://offload:\(Self.password)@127.0.0.1:\(redis.port)"
        let stack = try OffloadStack(redisURL: userURL, keyPrefix: "offload")
        try await stack.startAPI()
        try stack.startWorker(["--processes", "1", "--concurrency", "2", "--lease-ms", "3000"])
        let user = try RedisClient.forTests(url: userURL)
        let inspector = Inspector(broker: Broker(redis: user, settings: stack.settings))
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.noop") }

        // The main path: submit over HTTP, a worker runs it, long-poll for the result.
        let submitted = try await stack.post("/v1/jobs", json: ["type": "count-primes", "payload": ["below": 1000]])
        #expect(submitted.status == 202, "\(submitted.text)")
        let id = try #require(submitted.object["id"] as? String)
        let done = try await stack.request("GET", "/v1/jobs/\(id)?wait=60", timeout: .seconds(90))
        #expect(done.object["state"] as? String == "completed", "\(done.text)\n\(stack.logs)")
        #expect((done.object["result"] as? [String: Any])?["count"] as? Int == 168)

        // The other paths: batch, delay, retries to dead, manual retry, cancel, SSE, lists,
        // queue operations, workers, idempotency, backpressure settings.
        let batch = try await stack.post("/v1/jobs/batch", json: ["jobs": [["type": "test.noop"], ["type": "test.noop", "delay_seconds": 1]]])
        #expect(batch.status == 202, "\(batch.text)")
        for item in batch.object["jobs"] as? [[String: Any]] ?? [] {
            let job = try await stack.waitForJob(try #require(item["id"] as? String))
            #expect(job["state"] as? String == "completed")
        }
        let failing = try await stack.post("/v1/jobs", json: ["type": "test.fail", "max_attempts": 2, "payload": ["message": "boom"]])
        let failingID = try #require(failing.object["id"] as? String)
        #expect(try await stack.waitForJob(failingID)["state"] as? String == "dead")
        #expect(try await stack.request("POST", "/v1/jobs/\(failingID)/retry").status == 202)
        let slow = try #require(try await stack.post("/v1/jobs", json: ["type": "test.sleep", "payload": ["seconds": 10]]).object["id"] as? String)
        try await waitUntil("the slow job runs") { try await inspector.job(slow).state == .active }
        #expect(try await stack.request("DELETE", "/v1/jobs/\(slow)").status == 202)
        #expect(try await stack.waitForJob(slow)["state"] as? String == "cancelled")
        let events = try await stack.request("GET", "/v1/jobs/\(id)/events")
        #expect(events.status == 200)
        #expect(try await stack.get("/v1/jobs?queue=default&state=completed").status == 200)
        #expect(try await stack.get("/v1/queues").status == 200)
        #expect(try await stack.get("/v1/workers").status == 200)
        #expect(try await stack.get("/readyz").status == 200)
        #expect(try await stack.request("POST", "/v1/queues/default/pause").status < 300)
        #expect(try await stack.request("POST", "/v1/queues/default/resume").status < 300)
        #expect(try await stack.request("DELETE", "/v1/queues/default/jobs?state=dead").status < 300)
        let first = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": "acl-1"])
        let again = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": "acl-1"])
        #expect(first.object["id"] as? String == again.object["id"] as? String)
        try await inspector.setSettings(queue: "default", QueueSettings(maxDepth: 1000))

        // Nothing anywhere was refused.
        #expect(!stack.logs.contains("NOPERM"), "\(stack.logs)")

        // Outside the set: refused for this user.
        for command in [["FLUSHALL"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["SCRIPT", "FLUSH"], ["ACL", "LIST"], ["SHUTDOWN"], ["EVAL", "return 1", "0"], ["GET", "someone-else:key"]] {
            let refusal = await Self.refusal(user, command)
            #expect(refusal?.hasPrefix("NOPERM") == true, "\(command) for the offload user: \(refusal ?? "allowed")")
        }
        #expect(try await admin.send("DBSIZE").int ?? 0 > 0, "the data is still there")

        await stack.stop()
        await user.shutdown()
        await admin.shutdown()
        await redis.stop()
    }

    /// The error message Redis answers `command` with, or nil when it is allowed.
    static func refusal(_ client: RedisClient, _ command: [String]) async -> String? {
        do {
            _ = try await client.send(RedisCommand(command.map { RedisArgument.string($0) }))
            return nil
        } catch {
            if case .server(let message) = error { return message }
            return "\(error)"
        }
    }
}
