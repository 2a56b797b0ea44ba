import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

/// The whole product as a user runs it: redis-server, offload-api and offload-worker
/// processes on loopback, driven over HTTP.
@Suite(.timeLimit(.minutes(2))) struct EndToEndTests {
    /// Primes below `n` by trial division: slow, obviously right, independent of the worker's sieve.
    static func referencePrimeCount(below n: Int) -> Int {
        guard n > 2 else { return 0 }
        var primes: [Int] = []
        for candidate in 2..<n {
            var isPrime = true
            for prime in primes {
                if prime * prime > candidate { break }
                if candidate % prime == 0 {
                    isPrime = false
                    break
                }
            }
            if isPrime { primes.append(candidate) }
        }
        return primes.count
    }

    @Test func hundredCountPrimesJobsOverHTTPOnTwoWorkerProcesses() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let stack = try OffloadStack(redisURL: redis.url)
        try await stack.startAPI()
        try stack.startWorker(["--processes", "2", "--concurrency", "1"])
        let inspector = Inspector(broker: Broker(redis: try RedisClient.forTests(url: redis.url), settings: stack.settings))
        try await waitUntil("two worker processes registered") { try await inspector.workers().count == 2 }

        let limits = (0..<100).map { index in index == 0 ? 100_000 : 1_000 + index * 997 }
        var ids: [String] = []
        for below in limits {
            let response = try await stack.post("/v1/jobs", json: ["type": "count-primes", "payload": ["below": below]])
            #expect(response.status == 202, "\(response.text)")
            #expect(response.object["state"] as? String == "pending")
            ids.append(try #require(response.object["id"] as? String))
        }
        var workersSeen = Set<String>()
        for (id, below) in zip(ids, limits) {
            let job = try await stack.waitForJob(id)
            #expect(job["state"] as? String == "completed", "\(job)")
            let count = (job["result"] as? [String: Any])?["count"] as? Int
            #expect(count == Self.referencePrimeCount(below: below), "below \(below)")
            if let worker = job["worker"] as? String { workersSeen.insert(worker) }
        }
        #expect(Self.referencePrimeCount(below: 100_000) == 9592)
        #expect(workersSeen.count == 2, "both worker processes took jobs: \(workersSeen)")
        await stack.stop()
        await redis.stop()
    }

    /// A Redis restarted without persistence (or flushed) has lost the job types and the
    /// queue set: the running workers and API put them back, with no restart.
    @Test func aRedisThatLostItsDataLearnsJobTypesAndQueuesBack() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let stack = try OffloadStack(redisURL: redis.url)
        try await stack.startAPI()
        try stack.startWorker(["--concurrency", "1"])
        let client = try RedisClient.forTests(url: redis.url)
        let inspector = Inspector(broker: Broker(redis: client, settings: stack.settings))
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.noop") }
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop"]).status == 202)

        _ = try await client.send("FLUSHALL")
        try await waitUntil("submits accepted again") {
            try await stack.post("/v1/jobs", json: ["type": "test.noop"]).status == 202
        }
        try await waitUntil("the queue listed again") {
            _ = try await stack.post("/v1/jobs", json: ["type": "test.noop"])
            return try await inspector.queues().contains { $0.name == "default" }
        }
        await client.shutdown()
        await stack.stop()
        await redis.stop()
    }

    @Test func apiErrorsAreJSONWithTheRightStatus() async throws {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        try await stack.startAPI()
        try stack.startWorker()
        let inspector = Inspector(broker: Broker(redis: try TestRedis.makeClient(), settings: stack.settings))
        try await waitUntil("the worker published its job types") { try await inspector.jobTypes().contains("count-primes") }

        let malformed = try await stack.request("POST", "/v1/jobs", body: Data("{not json".utf8))
        #expect(malformed.status == 400)
        #expect((malformed.object["error"] as? [String: Any])?["code"] as? String == "malformed_request")

        let unknownType = try await stack.post("/v1/jobs", json: ["type": "no-such-type"])
        #expect(unknownType.status == 422)
        #expect((unknownType.object["error"] as? [String: Any])?["code"] as? String == "unknown_job_type")
        // An app that deploys before its workers may enqueue anyway.
        let early = try await stack.post("/v1/jobs", json: ["type": "no-such-type", "queue": "later", "allow_unknown_type": true])
        #expect(early.status == 202)
        #expect(early.object["state"] as? String == "pending")
        let earlySchedule = try await stack.request(
            "PUT", "/v1/schedules/early", body: Data(#"{"type": "no-such-type", "every_seconds": 60}"#.utf8))
        #expect(earlySchedule.status == 422)
        let allowedSchedule = try await stack.request(
            "PUT", "/v1/schedules/early", body: Data(#"{"type": "no-such-type", "every_seconds": 60, "allow_unknown_type": true}"#.utf8))
        #expect(allowedSchedule.status == 200)

        let missingType = try await stack.post("/v1/jobs", json: ["payload": [:]])
        #expect(missingType.status == 422)

        let unknownID = try await stack.get("/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W")
        #expect(unknownID.status == 404)
        #expect((unknownID.object["error"] as? [String: Any])?["message"] as? String != nil)

        let garbageID = try await stack.get("/v1/jobs/..%2F..")
        #expect(garbageID.status == 404)

        let health = try await stack.get("/healthz")
        #expect(health.status == 200)
        await stack.stop()
    }
}

extension OffloadStack {
    var settings: BrokerSettings {
        var settings = BrokerSettings()
        settings.keyPrefix = keyPrefix
        return settings
    }
}
