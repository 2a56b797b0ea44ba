import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// `--min-replicas`: writes count only once replicas confirm them (`WAIT`), against a real
/// primary and replica.
@Suite(.timeLimit(.minutes(2))) struct ReplicationTests {
    /// A primary with one replica in sync.
    final class Pair: Sendable {
        let primary: RedisServerProcess
        let replica: RedisServerProcess

        init() async throws {
            primary = try RedisServerProcess()
            try await primary.start()
            replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
            try await replica.start()
            try await waitUntilInSync()
        }

        func waitUntilInSync() async throws {
            let client = try RedisClient.forTests(url: primary.url)
            defer { Task { await client.shutdown() } }
            try await waitUntil("the replica is in sync") {
                let info = try await client.send("INFO", "replication").string ?? ""
                let acknowledged = try await client.send("WAIT", "1", "100").int
                return info.contains("connected_slaves:1") && acknowledged == 1
            }
        }

        func stop() async {
            await replica.stop()
            await primary.stop()
        }
    }

    @Test func aSubmitIsAcceptedOnlyOnceAReplicaHasIt() async throws {
        let pair = try await Pair()
        try await TestEngine.with(url: pair.primary.url, { $0.minReplicas = 1 }) { engine in
            let accepted = try await engine.broker.submit(JobSubmission(type: "t", queue: "q"))
            let replica = try RedisClient.forTests(url: pair.replica.url)
            // Confirmed means the replica has it, right now.
            #expect(try await replica.send("HGET", .string(engine.keys.queue("q").job(accepted.id)), "type").string == "t")
            await replica.shutdown()

            // The replica stops answering: a write it never confirms is not accepted.
            pair.replica.pause()
            await #expect {
                _ = try await engine.broker.submit(JobSubmission(type: "t", queue: "q"))
            } throws: { error in
                guard let error = error as? OffloadError else { return false }
                return error.code == .unavailable && error.retryAfterSeconds == 1 && error.message.contains("0 of the 1 Redis replicas")
            }
            // A submit that asks for no replica is still taken meanwhile.
            _ = try await engine.broker.submit(JobSubmission(type: "t", queue: "q", minReplicas: 0))
            pair.replica.resume()
            try await pair.waitUntilInSync()
            _ = try await engine.broker.submit(JobSubmission(type: "t", queue: "q"))
        }
        await pair.stop()
    }

    @Test func aResultIsStoredAgainUntilAReplicaConfirmsItAndCountedOnce() async throws {
        let pair = try await Pair()
        try await TestEngine.with(url: pair.primary.url, { $0.minReplicas = 1 }) { engine in
            _ = try await engine.broker.submit(JobSubmission(type: "t", queue: "q"))
            let job = try await engine.claimOne()
            pair.replica.pause()
            await #expect {
                _ = try await engine.broker.complete(job, resultJSON: #"{"n":1}"#)
            } throws: { ($0 as? OffloadError)?.code == .unavailable }
            pair.replica.resume()
            try await pair.waitUntilInSync()
            // Stored before by this run: the same call now succeeds and changes nothing.
            #expect(try await engine.broker.complete(job, resultJSON: #"{"n":1}"#))
            #expect(try await engine.inspector.job(job.id).state == .completed)
            let totals = try await engine.inspector.queues().first { $0.name == "q" }
            #expect(totals?.counts.completed == 1)
            #expect(try await engine.inspector.runTotals().first { $0.queue == "q" }?.processed == 1)
        }
        await pair.stop()
    }

    @Test func aPrimaryWithoutReplicasRefusesEverySubmitAndSaysWhy() async throws {
        let primary = try RedisServerProcess()
        try await primary.start()
        try await TestEngine.with(url: primary.url, { $0.minReplicas = 1; $0.minReplicasTimeoutMilliseconds = 50 }) { engine in
            let results = try await engine.broker.submit(batch: [JobSubmission(type: "t", queue: "q"), JobSubmission(type: "t", queue: "r")])
            for result in results {
                #expect(throws: OffloadError.self) { try result.get() }
                if case .failure(let error) = result { #expect(error.message.contains("no replica")) }
            }
        }
        await primary.stop()
    }

    @Test func onAClusterEveryShardConfirmsItsOwnWrites() async throws {
        let cluster = try await SharedRedisCluster.get()
        try await TestEngine.with(url: cluster.url, { $0.minReplicas = 1; $0.minReplicasTimeoutMilliseconds = 5_000 }) { engine in
            // Twelve queues: all three shards written in one batch, each WAITs on its own.
            let submissions = (0..<12).map { JobSubmission(type: "t", queue: "shard-\($0)") }
            let results = try await engine.broker.submit(batch: submissions)
            #expect(results.allSatisfy { (try? $0.get()) != nil })
        }
    }

    @Test func onAClusterAShardWithoutItsReplicaHoldsBackOnlyItsOwnJobs() async throws {
        let cluster = try RedisClusterProcesses()
        try await cluster.start()
        // The replica of one primary goes away: that shard's writes can no longer be confirmed.
        let primaries = try await cluster.primaries().map(\.node)
        let orphaned = primaries[0]
        for node in cluster.nodes where !primaries.contains(where: { $0 === node }) {
            let client = try RedisClient.forTests(url: node.url)
            let role = try await client.send("ROLE").array ?? []
            await client.shutdown()
            if role.count > 2, role[2].int == orphaned.port { await node.stop() }
        }
        // A timeout a loaded machine's healthy replicas always meet, and as long as the
        // command timeout (the write is given both); the orphan's WAIT runs it out.
        try await TestEngine.with(url: cluster.url, { $0.minReplicas = 1; $0.minReplicasTimeoutMilliseconds = 5_000 }) { engine in
            let queues = (0..<12).map { "shard-\($0)" }
            let results = try await engine.broker.submit(batch: queues.map { JobSubmission(type: "t", queue: $0) })
            var refused = 0
            for (queue, result) in zip(queues, results) {
                let onOrphan = try await engine.broker.node(of: queue) == "127.0.0.1:\(orphaned.port)"
                switch result {
                case .success: #expect(!onOrphan, "\(queue) was accepted on the shard without a replica")
                case .failure(let error):
                    #expect(onOrphan && error.code == .unavailable, "\(queue): \(error)")
                    refused += 1
                }
            }
            #expect(refused > 0 && refused < queues.count, "the batch must span the orphaned shard and the others")
        }
        await cluster.stop()
    }
}
