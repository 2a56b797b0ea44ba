import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

/// The whole stack (API, worker processes, CLI) on a real 3-primary Redis Cluster, with
/// the work spread over queues on every primary.
@Suite(.timeLimit(.minutes(3))) struct ClusterStackTests {
    /// Six queue names that land on all three primaries.
    static func queuesOnEveryPrimary(_ client: RedisClient, keys: OffloadKeys) async throws -> [String] {
        var names: [String] = []
        var perNode: [Int: Int] = [:]
        var index = 0
        while names.count < 6 {
            let name = "q\(index)"
            let port = try await client.node(forKey: keys.queue(name).pendingLevels).port
            if perNode[port, default: 0] < 2 {
                names.append(name)
                perNode[port, default: 0] += 1
            }
            index += 1
        }
        #expect(perNode.count == 3)
        return names
    }

    @Test func jobsOnQueuesOfEveryNodeRunThroughTheAPIAndOneWorker() async throws {
        let cluster = try await SharedRedisCluster.get()
        let stack = try OffloadStack(redisURL: cluster.url)
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let broker = Broker(redis: client, settings: stack.settings)
        let inspector = Inspector(broker: broker)
        let queues = try await Self.queuesOnEveryPrimary(client, keys: broker.keys)
        try await stack.startAPI()
        // One worker process waits on all six queues, so on all three nodes at once.
        try stack.startWorker(["--processes", "1", "--concurrency", "2", "--queues", queues.joined(separator: ",")])
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.noop") }

        var ids: [String] = []
        for round in 0..<5 {
            for queue in queues {
                let reply = try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue, "payload": ["round": round]])
                #expect(reply.status == 202, "\(reply.text)")
                ids.append(try #require(reply.object["id"] as? String))
            }
        }
        for id in ids {
            let job = try await stack.waitForJob(id)
            #expect(job["state"] as? String == "completed", "\(job)")
        }

        // Each queue names its node, in the API and in the CLI.
        let listed = try #require(try await stack.get("/v1/queues").object["queues"] as? [[String: Any]])
        let nodes = Dictionary(uniqueKeysWithValues: listed.compactMap { entry -> (String, String)? in
            guard let name = entry["name"] as? String, let node = entry["node"] as? String else { return nil }
            return (name, node)
        })
        for queue in queues {
            #expect(nodes[queue] == (try await client.node(forKey: broker.keys.queue(queue).pendingLevels)).description)
        }
        #expect(Set(queues.compactMap { nodes[$0] }).count == 3)
        let cli = try await CLITests.offload(["queues", "--redis-url", cluster.url, "--key-prefix", stack.keyPrefix])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.contains("NODE"))
        #expect(cli.stdout.contains(nodes[queues[0]]!))
        await stack.stop()
        await client.shutdown()
    }

    @Test func aWorkerWokenOnOneNodeStillServesItsQueuesInStrictOrder() async throws {
        let cluster = try await SharedRedisCluster.get()
        let stack = try OffloadStack(redisURL: cluster.url)
        let client = try RedisClient.forFailoverTests(url: cluster.url)
        let broker = Broker(redis: client, settings: stack.settings)
        let inspector = Inspector(broker: broker)
        let queues = try await Self.queuesOnEveryPrimary(client, keys: broker.keys)
        let (high, low) = (queues[0], queues[1])
        // Both queues filled before any worker runs; one slot, strict order: every job of
        // the first queue starts before any of the second.
        var lowIDs: [String] = []
        var highIDs: [String] = []
        for _ in 0..<10 {
            lowIDs.append(try await broker.submit(JobSubmission(type: "test.started-at", queue: low, allowUnknownType: true)).id)
            highIDs.append(try await broker.submit(JobSubmission(type: "test.started-at", queue: high, allowUnknownType: true)).id)
        }
        try stack.startWorker(["--processes", "1", "--concurrency", "1", "--prefetch-ms", "0", "--strict", "--queues", "\(high),\(low)"])
        for id in highIDs + lowIDs {
            try await waitUntil("job \(id) finished", timeout: .seconds(60)) { try await inspector.job(id).state == .completed }
        }
        let highStarts = try await highIDs.asyncMap { try await inspector.job($0).startedAt ?? .distantFuture }
        let lowStarts = try await lowIDs.asyncMap { try await inspector.job($0).startedAt ?? .distantFuture }
        #expect(highStarts.max()! <= lowStarts.min()!)
        await stack.stop()
        await client.shutdown()
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
