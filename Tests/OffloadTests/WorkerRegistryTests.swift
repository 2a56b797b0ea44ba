import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Workers announce themselves with an expiring entry that heartbeats refresh.
@Suite struct WorkerRegistryTests {
    private func info(_ id: String, jobs: [String] = []) -> WorkerInfo {
        WorkerInfo(
            id: id, pid: 4242, host: "box-1", queues: ["default", "cpu"], concurrency: 4, currentJobs: jobs,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), heartbeatAt: Date(timeIntervalSince1970: 1_700_000_005),
            processed: 12, failed: 1)
    }

    @Test func registeredWorkerIsListed() async throws {
        try await TestEngine.with { engine in
            #expect(try await engine.inspector.workers().isEmpty)
            try await engine.broker.registerWorker(info("w-b", jobs: ["default.01J0000000000000000000000"]), ttlSeconds: 60)
            try await engine.broker.registerWorker(info("w-a"), ttlSeconds: 60)
            let workers = try await engine.inspector.workers()
            #expect(workers.map(\.id) == ["w-a", "w-b"])
            let b = try #require(workers.last)
            #expect(b.pid == 4242 && b.host == "box-1" && b.queues == ["default", "cpu"] && b.concurrency == 4)
            #expect(b.currentJobs == ["default.01J0000000000000000000000"])
            #expect(b.processed == 12 && b.failed == 1)
            #expect(b.startedAt == Date(timeIntervalSince1970: 1_700_000_000))

            try await engine.broker.unregisterWorker(id: "w-b")
            #expect(try await engine.inspector.workers().map(\.id) == ["w-a"])
        }
    }

    @Test func workerDisappearsWhenItStopsHeartbeating() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.registerWorker(info("short-lived"), ttlSeconds: 60)
            try await engine.broker.registerWorker(info("steady"), ttlSeconds: 60)
            #expect(try await engine.inspector.workers().count == 2)
            // Its last heartbeat, with a short TTL: Redis expires the entry on its own clock,
            // so the test waits for that, with room for a loaded machine.
            try await engine.broker.registerWorker(info("short-lived"), ttlSeconds: 1)
            try await waitUntil("the silent worker is no longer listed") { try await engine.inspector.workers().map(\.id) == ["steady"] }
            // Listing also dropped the stale id from the registry set.
            let ids = try await engine.client.send("ZRANGE", .string(engine.keys.workers), "0", "-1")
            #expect(ids.array?.compactMap(\.string) == ["steady"])
        }
    }

    @Test func publishedJobTypesAreKnown() async throws {
        try await TestEngine.with { engine in
            #expect(try await engine.inspector.jobTypes() == Set(TestEngine.servedTypes))
            try await engine.broker.publishJobTypes(["count-primes", "mandelbrot"])
            try await engine.broker.publishJobTypes([])
            #expect(try await engine.inspector.jobTypes() == Set(TestEngine.servedTypes).union(["count-primes", "mandelbrot"]))
        }
    }
}
