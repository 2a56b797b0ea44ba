import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

/// `offload-api --min-replicas` as a client sees it: 202 only once a replica has the job.
@Suite(.timeLimit(.minutes(2))) struct ReplicationStackTests {
    @Test func theAPIAnswers503UntilAReplicaConfirmsTheSubmit() async throws {
        let primary = try RedisServerProcess()
        try await primary.start()
        let stack = try OffloadStack(redisURL: primary.url)
        // Set through the environment, as a container would.
        try await stack.startAPI(environment: ["OFFLOAD_MIN_REPLICAS": "1", "OFFLOAD_MIN_REPLICAS_TIMEOUT_MS": "100"])
        let job: [String: Any] = ["type": "test.noop", "allow_unknown_type": true]

        let refused = try await stack.post("/v1/jobs", json: job)
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.header("Retry-After") == "1")
        let error = refused.object["error"] as? [String: Any]
        #expect(error?["code"] as? String == "redis_unavailable")
        #expect((error?["message"] as? String)?.contains("0 of the 1 Redis replicas") == true, "\(refused.text)")

        // A batch whose every job is unconfirmed is as retryable as one job: 503, not 422.
        let batch = try await stack.post("/v1/jobs/batch", json: ["jobs": [job, job]])
        #expect(batch.status == 503 && batch.header("Retry-After") == "1", "\(batch.text.prefix(300))")
        let items = batch.object["jobs"] as? [[String: Any]] ?? []
        #expect(items.count == 2 && items.allSatisfy { ($0["error"] as? [String: Any])?["code"] as? String == "redis_unavailable" })

        let replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
        try await replica.start()
        try await waitUntil("a submit is accepted once the replica is in sync") {
            try await stack.post("/v1/jobs", json: job).status == 202
        }
        await stack.stop()
        await replica.stop()
        await primary.stop()
    }

    @Test func aWorkerHoldsAResultUntilAReplicaConfirmsItThenCountsItOnce() async throws {
        let primary = try RedisServerProcess()
        try await primary.start()
        let replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
        try await replica.start()
        let stack = try OffloadStack(redisURL: primary.url)
        let broker = Broker(redis: try RedisClient.forTests(url: primary.url), settings: stack.settings)
        let inspector = Inspector(broker: broker)
        try stack.startWorker(["--processes", "1", "--concurrency", "1", "--min-replicas", "1", "--min-replicas-timeout-ms", "100"])
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.noop") }

        replica.pause()
        let id = try await broker.submit(JobSubmission(type: "test.noop")).id
        // Written on the primary, but not confirmed: the worker still holds it as its own.
        try await waitUntil("the job is stored but still held by the worker", timeout: .seconds(60)) {
            let stored = try await inspector.job(id).state == .completed
            let held = try await inspector.workers().contains { $0.currentJobs.contains(id) }
            return stored && held
        }
        replica.resume()
        try await waitUntil("the worker lets the job go once the replica confirms it", timeout: .seconds(60)) {
            let workers = try await inspector.workers()
            return !workers.isEmpty && workers.allSatisfy { !$0.currentJobs.contains(id) && $0.processed == 1 }
        }
        #expect(try await inspector.job(id).state == .completed)
        #expect(try await inspector.runTotals().first { $0.queue == "default" }?.processed == 1, "stored again, counted once")
        await stack.stop()
        await broker.shutdown()
        await replica.stop()
        await primary.stop()
    }

    @Test func aMinReplicasOutOfRangeIsAUsageError() async throws {
        for executable in ["offload-api", "offload-worker"] {
            let process = try ChildProcess(OffloadBinaries.path(executable), ["--min-replicas=99", "--redis-url", TestRedis.url])
            #expect(await process.waitForExit(timeout: .seconds(60)))
            #expect(process.exitCode == 64, "\(executable): \(process.output)")
            #expect(process.output.contains("--min-replicas must be in 0...64"), "\(executable): \(process.output)")
        }
        let process = try ChildProcess(
            OffloadBinaries.path("offload-api"), ["--redis-url", TestRedis.url], environment: ["OFFLOAD_MIN_REPLICAS": "two"])
        #expect(await process.waitForExit(timeout: .seconds(60)))
        #expect(process.exitCode == 64, "\(process.output)")
        #expect(process.output.contains("OFFLOAD_MIN_REPLICAS must be a whole number"), "\(process.output)")
    }
}
