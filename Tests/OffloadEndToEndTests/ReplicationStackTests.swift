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

        let replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
        try await replica.start()
        try await waitUntil("a submit is accepted once the replica is in sync") {
            try await stack.post("/v1/jobs", json: job).status == 202
        }
        await stack.stop()
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
