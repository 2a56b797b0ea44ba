import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Removing a queue: only an empty one, or with force one whose jobs are not running;
/// every key of it goes, and its name is free for a fresh start.
@Suite struct QueueRemovalTests {
    /// Every key under the queue's hash tag that is still in Redis.
    private func keysOf(_ queue: String, _ engine: TestEngine) async throws -> [String] {
        let pattern = engine.keys.queue(queue).base.replacingOccurrences(of: "{", with: "\\{").replacingOccurrences(of: "}", with: "\\}") + "*"
        var cursor = "0"
        var found: [String] = []
        repeat {
            let reply = try await engine.client.send("SCAN", .string(cursor), "MATCH", .string(pattern), "COUNT", 1000)
            let parts = reply.array ?? []
            cursor = parts.first?.string ?? "0"
            found += (parts.dropFirst().first?.array ?? []).compactMap(\.string)
        } while cursor != "0"
        return found.sorted()
    }

    @Test func anEmptyQueueIsRemovedWithAllItsKeys() async throws {
        try await TestEngine.with { engine in
            let job = try await engine.submit()
            try await engine.inspector.setSettings(queue: "q", QueueSettings(maxDepth: 5))
            try await engine.inspector.pause(queue: "q")
            try await engine.inspector.resume(queue: "q")
            let claimed = try await engine.claimOne()
            #expect(try await engine.broker.complete(claimed, resultJSON: "1"))
            // Finished jobs are jobs too: without force the queue stays.
            let refused = await expectOffloadError(.conflict) { try await engine.inspector.removeQueue("q", force: false) }
            #expect(refused?.message.contains("1 jobs") == true, "\(String(describing: refused))")
            #expect(try await engine.inspector.purge(queue: "q", state: .completed) == 1)

            #expect(try await engine.inspector.removeQueue("q", force: false) == 0)
            #expect(try await engine.inspector.queueNames().contains("q") == false)
            // Only the per-minute stats remain, and they expire by themselves.
            let left = try await keysOf("q", engine)
            #expect(left.allSatisfy { $0.hasPrefix(engine.keys.queue("q").statsPrefix) && $0 != engine.keys.queue("q").runTotals }, "\(left)")
            await expectOffloadError(.notFound) { try await engine.job(job.id) }
            await expectOffloadError(.notFound) { try await engine.inspector.removeQueue("q", force: false) }

            // The name starts afresh: no settings, not paused.
            let again = try await engine.submit()
            #expect(again.created)
            let info = try #require(try await engine.inspector.queues().first { $0.name == "q" })
            #expect(!info.paused && info.settings == QueueSettings())
        }
    }

    @Test func forceDeletesWaitingAndFinishedJobsButNeverRunningOnes() async throws {
        try await TestEngine.with { engine in
            for _ in 0..<3 { try await engine.submit() }
            try await engine.submit { $0.delaySeconds = 60 }
            let running = try await engine.claimOne()
            // A running job belongs to its worker: not even force takes it.
            let refused = await expectOffloadError(.conflict) { try await engine.inspector.removeQueue("q", force: true) }
            #expect(refused?.message.contains("1 jobs running") == true, "\(String(describing: refused))")
            #expect(try await engine.counts().pending == 2, "nothing was deleted")
            #expect(try await engine.inspector.queues().first { $0.name == "q" }?.paused == false, "and the queue is not left paused")

            #expect(try await engine.broker.complete(running, resultJSON: "1"))
            let watcher = JobEventWatcher(inspector: engine.inspector)
            let waiting = try #require(try await engine.inspector.jobs(queue: "q", state: .pending, limit: 1).jobs.first)
            let events = watcher.events(for: waiting)
            try await Task.sleep(for: .milliseconds(300))  // time to register
            #expect(try await engine.inspector.removeQueue("q", force: true) == 4)
            #expect(try await engine.storedJobCount() == 0)
            #expect(try await engine.inspector.queueNames().contains("q") == false)
            // Whoever waited on a deleted job learns it is gone, not a timeout later.
            var seen: [JobEvent] = []
            do {
                for try await event in events { seen.append(event) }
            } catch let error as OffloadError {
                #expect(error.code == .notFound)  // removed before the watcher read the job
            }
            #expect(seen.isEmpty || seen == [.changed(event: "purged")], "\(seen)")
        }
    }

    /// Another process (a second API) that listed the queue a moment ago submits right
    /// after the removal: the queue is listed again at once, not after that process's
    /// registration falls due.
    @Test func aSubmitFromAnotherProcessAfterTheRemovalListsTheQueueAgain() async throws {
        try await TestEngine.with { engine in
            let (other, otherClient) = try engine.sibling()
            _ = try await other.submit(JobSubmission(type: "test.echo", queue: "q"))
            #expect(try await engine.inspector.removeQueue("q", force: true) == 1)
            let again = try await other.submit(JobSubmission(type: "test.echo", queue: "q"))
            #expect(again.created)
            #expect(try await engine.inspector.queueNames().contains("q"), "listed again")
            #expect(try await engine.counts().pending == 1)
            await otherClient.shutdown()
        }
    }

    @Test func unknownAndInvalidNames() async throws {
        try await TestEngine.with { engine in
            await expectOffloadError(.notFound) { try await engine.inspector.removeQueue("nope", force: true) }
            await expectOffloadError(.invalid) { try await engine.inspector.removeQueue("no spaces", force: false) }
        }
    }
}
