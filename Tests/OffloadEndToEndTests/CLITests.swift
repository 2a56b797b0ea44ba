import Foundation
import OffloadCore
import OffloadRedis
import OffloadTestSupport
import Testing

/// The `offload` CLI as a user runs it: a real binary against real Redis state.
@Suite(.timeLimit(.minutes(2))) struct CLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
    }

    /// Runs the CLI and collects its output; never blocks a thread while waiting.
    static func offload(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: OffloadBinaries.path("offload"))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    struct Harness {
        let stack: OffloadStack
        let broker: Broker
        let inspector: Inspector
        var common: [String] { ["--redis-url", TestRedis.url, "--key-prefix", stack.keyPrefix] }

        init(worker: Bool = true) async throws {
            stack = try OffloadStack(redisURL: TestRedis.url)
            broker = Broker(redis: try TestRedis.makeClient(), settings: stack.settings)
            inspector = Inspector(broker: broker)
            if worker {
                try stack.startWorker(["--concurrency", "2"])
                try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.sleep") }
            }
        }

        func run(_ arguments: [String]) async throws -> Run {
            try await CLITests.offload(Array(arguments.prefix(1)) + common + Array(arguments.dropFirst()))
        }
    }

    @Test func statsAndQueuesJSONMatchRedis() async throws {
        let harness = try await Harness(worker: false)
        for _ in 0..<3 { _ = try await harness.broker.submit(JobSubmission(type: "test.noop")) }
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", queue: "other", delaySeconds: 100))
        let stats = try await harness.run(["stats", "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let queues = try #require(stats.json["queues"] as? [String: [String: Int]])
        #expect(queues["default"]?["pending"] == 3)
        #expect(queues["other"]?["scheduled"] == 1)
        let counts = try await harness.inspector.counts()
        #expect(queues["default"]?["pending"] == counts["default"]?.pending)

        let table = try await harness.run(["stats"])
        #expect(table.stdout.contains("QUEUE"))
        #expect(table.stdout.split(separator: "\n").contains { $0.hasPrefix("default") && $0.contains("3") })

        let list = try await harness.run(["queues", "--json"])
        let infos = try #require(list.json["queues"] as? [[String: Any]])
        #expect(infos.map { $0["name"] as? String } == ["default", "other"])
    }

    @Test func settingsChangeOnlyWhatIsNamedAndRefuseBadValues() async throws {
        let harness = try await Harness(worker: false)
        let changed = try await harness.run(["settings", "reports", "--result-ttl", "600", "--max-depth", "50", "--json"])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.json["result_ttl_seconds"] as? Int == 600 && changed.json["max_depth"] as? Int == 50)
        #expect(try await harness.inspector.settings(queue: "reports") == QueueSettings(maxDepth: 50, resultTTLSeconds: 600))

        // Only the named settings change; --unset puts one back to its default.
        #expect(try await harness.run(["settings", "reports", "--dead-max-count", "5", "--unset", "max-depth"]).status == 0)
        #expect(try await harness.inspector.settings(queue: "reports") == QueueSettings(resultTTLSeconds: 600, deadMaxCount: 5))

        let shown = try await harness.run(["settings", "reports"])
        let lines = shown.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.contains("result-ttl 600") && lines.contains("max-depth none (default)") && lines.contains("dead-max-age 2592000 (default)"), "\(shown.stdout)")

        let refused = try await harness.run(["settings", "reports", "--dead-max-age", "5"])
        #expect(refused.status == 2 && refused.stderr.contains("dead_max_age_seconds"), "\(refused.status) \(refused.stderr)")
        #expect(try await harness.run(["settings", "reports", "--max-depth", "3", "--unset", "max-depth"]).status == 2)
        #expect(try await harness.inspector.settings(queue: "reports") == QueueSettings(resultTTLSeconds: 600, deadMaxCount: 5), "refused changes change nothing")
    }

    @Test func submitWaitShowsAProgressBarOnATerminal() async throws {
        let harness = try await Harness()
        // `script` gives the CLI a pseudo-terminal, as a user's shell would.
        let command = ([OffloadBinaries.path("offload"), "submit", "test.sleep"] + harness.common + ["--payload", #"{"seconds": 1}"#, "--wait"])
            .map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executable.find("script"))
        process.arguments = ["-qec", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let screen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(screen)")
        #expect(screen.contains("[##"), "a bar is drawn: \(screen)")
        #expect(screen.contains("\r"), "redrawn in place on a terminal")
        #expect(screen.contains("100%"))
        #expect(screen.contains(#"{"slept":1}"#), "then the result")
    }

    @Test func submitJobRetryCancelPurgePauseResume() async throws {
        let harness = try await Harness()
        let failed = try await harness.run(["submit", "test.fail", "--max-attempts", "1", "--wait", "--json"])
        #expect(failed.status == 1, "a dead job makes --wait fail")
        let deadID = try #require(failed.json["id"] as? String)
        #expect(failed.json["state"] as? String == "dead")

        let shown = try await harness.run(["job", deadID, "--json"])
        #expect(shown.json["state"] as? String == "dead")
        #expect((shown.json["error"] as? [String: Any])?["message"] as? String == "failed on purpose")
        let human = try await harness.run(["job", deadID])
        #expect(human.stdout.contains("failed on purpose"))

        let deadList = try await harness.run(["jobs", "--state", "dead", "--json"])
        #expect((deadList.json["jobs"] as? [[String: Any]])?.first?["id"] as? String == deadID)

        let firstDeath = try await harness.inspector.job(deadID).finishedAt
        let retried = try await harness.run(["retry", deadID])
        #expect(retried.status == 0)
        try await waitUntil("the retried job ran again") {
            let job = try await harness.inspector.job(deadID)
            return job.state == .dead && job.finishedAt != firstDeath
        }

        #expect(try await harness.run(["pause", "default"]).status == 0)
        let waiting = try await harness.run(["submit", "test.noop", "--json"])
        let waitingID = try #require(waiting.json["id"] as? String)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await harness.inspector.job(waitingID).state == .pending)
        let cancelled = try await harness.run(["cancel", waitingID, "--json"])
        #expect(cancelled.json["state"] as? String == "cancelled")
        #expect(try await harness.run(["cancel", waitingID]).status == 1, "cancelling twice is a conflict")
        #expect(try await harness.run(["resume", "default"]).status == 0)

        let purged = try await harness.run(["purge", "--queue", "default", "--state", "dead", "--json"])
        #expect(purged.json["deleted"] as? Int == 1)
        #expect(try await harness.inspector.counts()["default"]?.dead == 0)

        let workers = try await harness.run(["workers", "--json"])
        #expect((workers.json["workers"] as? [[String: Any]])?.count == 1)
        await harness.stack.stop()
    }

    @Test func exitCodesMeanSomething() async throws {
        let harness = try await Harness(worker: false)
        #expect(try await harness.run(["stats"]).status == 0)
        #expect(try await harness.run(["job", "default.01M88ZFP3J1NK2J7A03ZEEYF1W"]).status == 3, "not found")
        #expect(try await Self.offload(["no-such-command"]).status == 2, "usage")
        #expect(try await harness.run(["jobs", "--limit", "0"]).status == 2, "invalid argument")
        #expect(try await harness.run(["submit", "no-such-type"]).status == 2)
        let port = try FreePort.next()
        let down = try await Self.offload(["stats", "--redis-url", "redis://127.0.0.1:\(port)"])
        #expect(down.status == 4, "Redis unreachable")
        #expect(down.stderr.contains("offload:"))
        #expect(try await Self.offload(["--help"]).status == 0)
        let completion = try await Self.offload(["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.stdout.contains("_offload"))
    }

    @Test func watchRendersFramesAndStops() async throws {
        let harness = try await Harness(worker: false)
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop"))
        let watch = try await harness.run(["watch", "--count", "2", "--interval", "0.2"])
        #expect(watch.status == 0)
        #expect(watch.stdout.components(separatedBy: "QUEUE").count - 1 == 2, "two frames")
        #expect(watch.stdout.contains("default"))
    }
}
