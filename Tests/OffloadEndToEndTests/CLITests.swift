import Foundation
import Offload
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
        for _ in 0..<3 { _ = try await harness.broker.submit(JobSubmission(type: "test.noop", allowUnknownType: true)) }
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", queue: "other", delaySeconds: 100, allowUnknownType: true))
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
        #expect(refused.status == 2 && refused.stderr.contains("--dead-max-age must be in 60...31536000"), "\(refused.status) \(refused.stderr)")
        #expect(try await harness.run(["settings", "reports", "--max-depth", "3", "--unset", "max-depth"]).status == 2)
        #expect(try await harness.inspector.settings(queue: "reports") == QueueSettings(resultTTLSeconds: 600, deadMaxCount: 5), "refused changes change nothing")
    }

    /// Runs the CLI on a pseudo-terminal (`script`), as a user's shell would; the output as
    /// the terminal received it.
    static func onTerminal(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
        let command = ([OffloadBinaries.path("offload")] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executable.find("script"))
        process.arguments = ["-qec", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return (process.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// What a job wrote reaches the terminal as text, never as escape sequences, and colour
    /// does not shift the table's columns.
    @Test func jobTextIsShownEscapedAndColouredTablesStayAligned() async throws {
        let harness = try await Harness(worker: false)
        let submitted = try await harness.broker.submit(JobSubmission(type: "test.noop", maxAttempts: 1, allowUnknownType: true))
        let job = try #require(try await harness.broker.claim(queue: "default", limit: 1, token: "t", workerID: "w").jobs.first)
        let message = "\u{1B}]0;owned\u{07}\u{1B}[31mRED\u{1B}[0m first\nsecond"
        #expect(try await harness.broker.fail(job, error: JobError(type: "E", message: message)) == .dead)

        let piped = try await harness.run(["jobs", "--state", "dead"])
        #expect(!piped.stdout.contains("\u{1B}"), "no escape reaches the output: \(piped.stdout.debugDescription)")
        #expect(piped.stdout.contains(#"\u{1B}[31mRED\u{1B}[0m first\nsecond"#))
        #expect(piped.stdout.split(separator: "\n").count == 2, "one row, not broken by the newline")
        let shown = try await harness.run(["job", submitted.id])
        #expect(!shown.stdout.contains("\u{1B}") && shown.stdout.contains(#"first\nsecond"#), "\(shown.stdout.debugDescription)")

        // NO_COLOR set but empty does not turn colour off (no-color.org).
        let (status, screen) = try await Self.onTerminal(["jobs"] + harness.common + ["--state", "dead"], environment: ["NO_COLOR": ""])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("\u{1B}[31mdead\u{1B}[0m"), "the state is coloured: \(screen.debugDescription)")
        let visible = screen.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            .split(whereSeparator: \.isNewline).map(String.init)
        let header = try #require(visible.first { $0.hasPrefix("ID") })
        let row = try #require(visible.first { $0.hasPrefix(submitted.id) })
        #expect(header.range(of: "ATTEMPTS")?.lowerBound.utf16Offset(in: header) == row.range(of: "1/1")?.lowerBound.utf16Offset(in: row), "\(header)\n\(row)")
    }

    @Test func badNumbersAreRefusedNotCrashedOnAndNegativeValuesParse() async throws {
        let harness = try await Harness()
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", allowUnknownType: true))
        let cursor = try await harness.run(["jobs", "--state", "pending", "--cursor", "9223372036854775800"])
        #expect(cursor.status == 2 && cursor.stderr.contains("cursor"), "\(cursor.status) \(cursor.stderr)")
        for interval in ["inf", "1e16", "nan", "0"] {
            let watch = try await harness.run(["watch", "--count", "1", "--interval", interval])
            #expect(watch.status == 2, "--interval \(interval): \(watch.status) \(watch.stderr)")
        }
        let badDelay = try await harness.run(["submit", "test.noop", "--delay=-1"])
        #expect(badDelay.status == 2 && badDelay.stderr.contains("--delay must be"), "the flag, not the API's field: \(badDelay.stderr)")
        let negative = try await harness.run(["submit", "test.noop", "--priority", "-5", "--json"])
        #expect(negative.status == 0, "\(negative.stderr)")
        let id = try #require(negative.json["id"] as? String)
        #expect(try await harness.inspector.job(id).priority == -5)
    }

    /// `submit --wait` whose Redis goes away exits 4 (Redis unreachable) instead of
    /// waiting for good.
    @Test func submitWaitExitsWhenRedisIsGone() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let stack = try OffloadStack(redisURL: redis.url)
        try stack.startWorker(["--concurrency", "1"])
        let inspector = Inspector(broker: Broker(redis: try RedisClient.forTests(url: redis.url), settings: stack.settings))
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.sleep") }
        let waiting = Task {
            try await Self.offload(["submit", "test.sleep", "--redis-url", redis.url, "--key-prefix", stack.keyPrefix, "--payload", #"{"seconds": 60}"#, "--wait"])
        }
        try await waitUntil("the job runs") { try await inspector.counts()["default"]?.active == 1 }
        await redis.stop()
        let started = ContinuousClock.now
        let run = try await waiting.value
        #expect(run.status == 4, "\(run.status) \(run.stderr)")
        #expect(ContinuousClock.now - started < .seconds(40))
        await stack.stop()
    }

    @Test func watchPrintsOneJSONObjectPerRefresh() async throws {
        let harness = try await Harness(worker: false)
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", allowUnknownType: true))
        let watch = try await harness.run(["watch", "--count", "2", "--interval", "0.1", "--json"])
        #expect(watch.status == 0, "\(watch.stderr)")
        let frames = watch.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(frames.count == 2 && frames.allSatisfy { $0 != nil }, "\(watch.stdout)")
        let queues = frames.last??["queues"] as? [[String: Any]]
        #expect((queues?.first { $0["name"] as? String == "default" }?["counts"] as? [String: Int])?["pending"] == 1)
        #expect(frames.last??["rates_per_second"] is [String: Double])
    }

    @Test func submitWaitShowsAProgressBarOnATerminal() async throws {
        let harness = try await Harness()
        let (status, screen) = try await Self.onTerminal(
            ["submit", "test.sleep"] + harness.common + ["--payload", #"{"seconds": 1}"#, "--wait"], environment: ["NO_COLOR": "1"])
        #expect(status == 0, "\(screen)")
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

    /// The same key and payload (however spaced) name one job; another payload is refused.
    /// The engine's rule, as the API answers it: no worker serves the type, no job; the
    /// flag enqueues it anyway, for workers deployed later.
    @Test func aTypeNoWorkerServesNeedsAllowUnknownType() async throws {
        let harness = try await Harness(worker: false)
        let refused = try await harness.run(["submit", "not.deployed"])
        #expect(refused.status != 0 && refused.stderr.contains("no worker serves job type 'not.deployed'"), "\(refused.stderr)")
        #expect(try await harness.inspector.queues().allSatisfy { $0.counts.pending == 0 })
        let accepted = try await harness.run(["submit", "not.deployed", "--allow-unknown-type", "--json"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let id = try #require(accepted.json["id"] as? String)
        #expect(try await harness.inspector.job(id).state == .pending)
        let schedule = try await harness.run(["schedule", "nightly", "not.deployed", "--every", "60"])
        #expect(schedule.status != 0, "\(schedule.stdout)")
        let allowed = try await harness.run(["schedule", "nightly", "not.deployed", "--every", "60", "--allow-unknown-type"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        await harness.stack.stop()
    }

    @Test func submitWithAnIdempotencyKey() async throws {
        let harness = try await Harness()
        let first = try await harness.run(["submit", "test.noop", "--payload", #"{"a": 1, "b": [2]}"#, "--idempotency-key", "k1", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try await harness.run(["submit", "test.noop", "--payload", #"{"b":[2],"a":1}"#, "--idempotency-key", "k1", "--json"])
        #expect(again.json["id"] as? String == first.json["id"] as? String)
        let other = try await harness.run(["submit", "test.noop", "--payload", #"{"a": 2}"#, "--idempotency-key", "k1"])
        #expect(other.status == 2, "\(other.stderr)")
        #expect(other.stderr.contains("--idempotency-key") == false && other.stderr.contains("k1"), "\(other.stderr)")
        let empty = try await harness.run(["submit", "test.noop", "--idempotency-key", ""])
        #expect(empty.status == 2 && empty.stderr.contains("--idempotency-key must be 1-256 bytes"), "\(empty.stderr)")
        await harness.stack.stop()
    }

    @Test func submitWithAUniqueKey() async throws {
        let harness = try await Harness(worker: false)
        let arguments = ["submit", "test.noop", "--delay", "300", "--allow-unknown-type", "--unique-key", "doc-9"]
        let first = try await harness.run(arguments + ["--json"])
        #expect(first.status == 0 && first.json["duplicate"] == nil, "\(first.stderr)")
        let again = try await harness.run(arguments)
        #expect(again.status == 0 && again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == first.json["id"] as? String, "\(again.stderr)")
        #expect(again.stderr.contains("duplicate"), "\(again.stderr)")
        let json = try await harness.run(arguments + ["--json"])
        #expect(json.json["duplicate"] as? Bool == true)
        let badScope = try await harness.run(arguments + ["--unique-scope", "forever"])
        #expect(badScope.status == 2 && badScope.stderr.contains("--unique-scope"), "\(badScope.stderr)")
        let badTTL = try await harness.run(arguments + ["--unique-ttl", "0"])
        #expect(badTTL.status == 2 && badTTL.stderr.contains("--unique-ttl"), "\(badTTL.stderr)")
        await harness.stack.stop()
    }

    @Test func removeQueueNeedsForceForAQueueWithJobs() async throws {
        let harness = try await Harness(worker: false)
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", queue: "old", delaySeconds: 300, allowUnknownType: true))
        let refused = try await harness.run(["remove-queue", "old"])
        #expect(refused.status == 1 && refused.stderr.contains("holds 1 jobs"), "\(refused.stderr)")
        let removed = try await harness.run(["remove-queue", "old", "--force", "--json"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.json["deleted"] as? Int == 1)
        #expect(try await harness.inspector.queueNames().contains("old") == false)
        #expect(try await harness.run(["remove-queue", "old"]).status == 3, "not found")
        #expect(try await harness.run(["pause", "old"]).status == 3, "a typo does not make a paused queue")
    }

    @Test func scheduleListAndUnschedule() async throws {
        let harness = try await Harness()
        let made = try await harness.run(["schedule", "nightly", "count-primes", "--cron", "0 3 * * *", "--payload", #"{"below": 100}"#])
        #expect(made.status == 0 && made.stdout.contains("nightly scheduled; next run"), "\(made.stderr)")
        let listed = try await harness.run(["schedules"])
        #expect(listed.stdout.contains("nightly") && listed.stdout.contains("cron 0 3 * * *") && listed.stdout.contains("T03:00:00Z"), "\(listed.stdout)")
        let json = try await harness.run(["schedules", "--json"])
        let first = try #require((json.json["schedules"] as? [[String: Any]])?.first)
        #expect(first["cron"] as? String == "0 3 * * *" && (first["payload"] as? [String: Any])?["below"] as? Int == 100)
        #expect(try await harness.run(["schedule", "both", "test.noop", "--cron", "* * * * *", "--every", "5"]).status == 2)
        let badCron = try await harness.run(["schedule", "bad", "test.noop", "--cron", "99 * * * *"])
        #expect(badCron.status == 2 && badCron.stderr.contains("minute"), "\(badCron.stderr)")
        let badEvery = try await harness.run(["schedule", "bad", "test.noop", "--every", "0"])
        #expect(badEvery.status == 2 && badEvery.stderr.contains("--every"), "\(badEvery.stderr)")
        #expect(try await harness.run(["schedule", "bad", "no-such-type", "--every", "5"]).status == 2)
        #expect(try await harness.run(["unschedule", "nightly"]).status == 0)
        #expect(try await harness.run(["unschedule", "nightly"]).status == 3, "not found")
        #expect(try await harness.run(["schedules"]).stdout.contains("no schedules"))
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
        _ = try await harness.broker.submit(JobSubmission(type: "test.noop", allowUnknownType: true))
        let watch = try await harness.run(["watch", "--count", "2", "--interval", "0.2"])
        #expect(watch.status == 0)
        #expect(watch.stdout.components(separatedBy: "QUEUE").count - 1 == 2, "two frames")
        #expect(watch.stdout.contains("default"))
    }
}
