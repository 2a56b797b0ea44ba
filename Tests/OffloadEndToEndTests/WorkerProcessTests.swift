import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// offload-worker as a process manager: crashes, hangs, kills and shutdowns of real
/// processes, each bounded in time.
@Suite(.timeLimit(.minutes(2))) struct WorkerProcessTests {
    struct Harness {
        let stack: OffloadStack
        let broker: Broker
        let inspector: Inspector

        init(redisURL: String = TestRedis.url) async throws {
            stack = try OffloadStack(redisURL: redisURL)
            broker = Broker(redis: try RedisClient.forTests(url: redisURL), settings: stack.settings)
            inspector = Inspector(broker: broker)
        }

        func submit(_ type: String, _ payload: String = "{}", maxAttempts: Int? = nil, timeout: Int? = nil) async throws -> String {
            try await broker.submit(JobSubmission(type: type, payload: payload, maxAttempts: maxAttempts, timeoutSeconds: timeout, allowUnknownType: true)).id
        }

        /// Submits in one round trip; the payload goes to the first job, `{}` to the rest.
        func submitBatch(_ types: [String], payload: String = "{}") async throws -> [String] {
            let submissions = types.enumerated().map { JobSubmission(type: $1, payload: $0 == 0 ? payload : "{}", allowUnknownType: true) }
            return try await broker.submit(batch: submissions).map { try $0.get().id }
        }

        func wait(_ id: String, timeout: Duration = .seconds(30)) async throws -> JobRecord {
            try await waitUntil("job \(id) finished", timeout: timeout) { try await inspector.job(id).state.isFinished }
            return try await inspector.job(id)
        }

        /// The pid of the worker process running `id`: the worker its claim recorded on the
        /// job, looked up in the worker registry. Known as soon as the job is claimed, not at
        /// the registry's next refresh of what each worker runs (every 2 s).
        func pidRunning(_ id: String) async throws -> Int32 {
            var pid: Int32?
            try await waitUntil("a worker runs \(id)") {
                let job = try await inspector.job(id)
                guard job.state == .active, let worker = job.worker else { return false }
                pid = try await inspector.workers().first { $0.id == worker }?.pid
                return pid != nil
            }
            return pid!
        }
    }

    @Test func childKilledMidJobIsReplacedAndTheJobCompletes() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // The first run lasts until the kill however loaded the machine; the retry is quick.
        let id = try await harness.submit("test.sleep", #"{"seconds": 600, "retry_seconds": 0.1}"#)
        let pid = try await harness.pidRunning(id)
        kill(pid, SIGKILL)
        let job = try await harness.wait(id)
        #expect(job.state == .completed)
        #expect(job.attempts == 2)
        #expect(job.error?.type == "crash")
        let workers = try await harness.inspector.workers()
        #expect(workers.contains { $0.pid != pid }, "a new worker process took over")
        await harness.stack.stop()
    }

    @Test func poisonJobGoesDeadWithItsCauseWhileOthersComplete() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "2", "--concurrency", "1"])
        let poison = try await harness.submit("test.crash", maxAttempts: 2)
        var normal: [String] = []
        for index in 0..<10 { normal.append(try await harness.submit("count-primes", #"{"below": \#(10_000 + index)}"#)) }
        let dead = try await harness.wait(poison)
        #expect(dead.state == .dead)
        #expect(dead.attempts == 2)
        #expect(dead.error?.type == "crash")
        #expect(dead.error?.message.contains("worker process crashed: signal") == true, "\(String(describing: dead.error))")
        for id in normal { #expect(try await harness.wait(id).state == .completed) }
        await harness.stack.stop()
    }

    @Test func hangingJobIsKilledAtItsHardTimeout() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        let hang = try await harness.submit("test.hang", maxAttempts: 1, timeout: 1)
        // Timed from its claim, not from the worker's start, which a loaded machine may drag out.
        try await waitUntil("the job runs") { try await harness.inspector.job(hang).state != .pending }
        let started = ContinuousClock.now
        let job = try await harness.wait(hang)
        #expect(job.state == .dead)
        #expect(job.error?.type == "timeout")
        // Its own 1 s, not the 60 s test.hang takes by default: far below that, far above 1 s.
        #expect(ContinuousClock.now - started < .seconds(20), "took \(ContinuousClock.now - started)")
        // The replacement process runs the next job.
        let next = try await harness.submit("count-primes", #"{"below": 1000}"#)
        #expect(try await harness.wait(next).result?["count"]?.intValue == 168)
        await harness.stack.stop()
    }

    @Test func aRunningJobCancelledOnRequestStopsWithinSeconds() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // A 3 min lease: renewed every minute, so a request that only came with a renewal
        // would take a minute, far past the bound below.
        let id = try await harness.broker.submit(
            JobSubmission(type: "test.sleep", payload: #"{"seconds": 60}"#, leaseMilliseconds: 180_000, allowUnknownType: true)).id
        // Past the claim: its handler runs and has reported progress.
        try await waitUntil("the job runs") { try await harness.inspector.job(id).progress != nil }
        let asked = ContinuousClock.now
        #expect(try await harness.inspector.cancel(id) == .active)
        let job = try await harness.wait(id, timeout: .seconds(40))
        #expect(job.state == .cancelled)
        // The heartbeat brings the request at least once a second, whatever the lease; the
        // handler checks 20 times a second. The bound leaves a loaded machine room.
        #expect(ContinuousClock.now - asked < .seconds(20), "took \(ContinuousClock.now - asked)")
        await harness.stack.stop()
    }

    /// The supervisor killed the process itself: that is no crash, so no back-off delays
    /// the replacement, however many jobs in a row hang.
    @Test func hangingJobsInARowDoNotSlowTheRestartsDown() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        var hangs: [String] = []
        for _ in 0..<3 { hangs.append(try await harness.submit("test.hang", maxAttempts: 1, timeout: 1)) }
        for id in hangs { #expect(try await harness.wait(id).error?.type == "timeout") }
        let next = try await harness.submit("count-primes", #"{"below": 1000}"#)
        #expect(try await harness.wait(next).result?["count"]?.intValue == 168)
        let log = harness.stack.workers.map(\.output).joined()
        #expect(log.components(separatedBy: "exceeded its hard timeout").count - 1 == 3, "\(harness.stack.logs)")
        #expect(!log.contains("restart_in"), "restarted without a back-off: \(harness.stack.logs)")
        await harness.stack.stop()
    }

    @Test func softTimeoutCancelsACooperativeHandlerBeforeTheHardOne() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // test.sleep checks cancellation 20 times a second; the soft timeout is 90% of 2 s.
        let id = try await harness.submit("test.sleep", #"{"seconds": 10}"#, maxAttempts: 1, timeout: 2)
        let job = try await harness.wait(id)
        #expect(job.state == .dead)
        #expect(job.error?.type == "timeout")
        #expect(job.error?.message == "soft timeout reached", "stopped by the handler itself, not by a kill")
        await harness.stack.stop()
    }

    @Test func sigtermDrainsRunningJobsAndLosesNothing() async throws {
        let harness = try await Harness()
        // All waiting before the worker starts, so its first claim takes one for each slot
        // (submitted one by one on a loaded machine, each could finish before the next came).
        let sleeps = (0..<6).map { _ in JobSubmission(type: "test.sleep", payload: #"{"seconds": 2}"#, allowUnknownType: true) }
        let ids = try await harness.broker.submit(batch: sleeps).map { try $0.get().id }
        let worker = try harness.stack.startWorker(["--processes", "1", "--concurrency", "2", "--grace-seconds", "10"])
        // Two started: running, or already done where a loaded machine looked late.
        try await waitUntil("two jobs started") {
            let counts = try await harness.inspector.counts()["default"] ?? QueueCounts()
            return counts.active + counts.completed >= 2
        }
        worker.signal(SIGTERM)
        // Past the 10 s grace period and the supervisor's margin: the bound is only a hang's.
        #expect(await worker.waitForExit(timeout: .seconds(40)))
        #expect(worker.exitCode == 0, "\(worker.output.suffix(2000))")
        let counts = try #require(try await harness.inspector.counts()["default"])
        #expect(counts.active == 0)
        #expect(counts.completed >= 2, "the running jobs finished within the grace period")
        #expect(counts.completed + counts.pending == 6, "the rest still waits: \(counts)")
        // A new worker finishes the rest.
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "2"])
        for id in ids { #expect(try await harness.wait(id).state == .completed) }
        await harness.stack.stop()
    }

    /// With every slot busy, the grace period still counts from the stop request: the child
    /// hands its unfinished job back itself when it ends, before the supervisor's kill.
    @Test func gracePeriodHoldsWhenEverySlotIsBusy() async throws {
        let harness = try await Harness()
        let worker = try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--grace-seconds", "2"])
        let id = try await harness.submit("test.sleep", #"{"seconds": 30}"#)
        try await waitUntil("the job runs") { try await harness.inspector.job(id).state == .active }
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: .seconds(40)))
        #expect(worker.output.contains("did not finish within the grace period; handed back"), "\(worker.output.suffix(2000))")
        #expect(!worker.output.contains("grace period over: killing"), "the supervisor had to kill it")
        let job = try await harness.inspector.job(id)
        #expect(job.state == .pending && job.attempts == 0, "\(job.state) \(job.attempts)")
        await harness.stack.stop()
    }

    /// A closed terminal (SIGHUP) drains like SIGTERM instead of killing running jobs.
    @Test func sighupDrainsRunningJobsToo() async throws {
        let harness = try await Harness()
        let worker = try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--grace-seconds", "10"])
        let id = try await harness.submit("test.sleep", #"{"seconds": 3}"#)
        // Started: running, or already done where a loaded machine looked late.
        try await waitUntil("the job started") { try await harness.inspector.job(id).state != .pending }
        worker.signal(SIGHUP)
        #expect(await worker.waitForExit(timeout: .seconds(40)))
        #expect(worker.exitCode == 0, "\(worker.output.suffix(2000))")
        #expect(try await harness.inspector.job(id).state == .completed)
        await harness.stack.stop()
    }

    /// A second stop signal cuts the drain short, as a second Ctrl-C does in Celery: the
    /// worker exits at once and its running job goes back to pending for another worker,
    /// without spending an attempt.
    @Test func aSecondStopSignalStopsAtOnceAndHandsTheJobBack() async throws {
        let harness = try await Harness()
        let worker = try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--grace-seconds", "60"])
        let id = try await harness.submit("test.sleep", #"{"seconds": 60}"#, maxAttempts: 2)
        try await waitUntil("the job runs") { try await harness.inspector.job(id).state == .active }
        worker.signal(SIGTERM)
        try await waitUntil("the drain began") { worker.output.contains("supervisor stopping") }
        let asked = ContinuousClock.now
        worker.signal(SIGINT)
        #expect(await worker.waitForExit(timeout: .seconds(40)))
        #expect(ContinuousClock.now - asked < .seconds(30), "not the 60 s grace period: \(ContinuousClock.now - asked)")
        #expect(worker.exitCode == 0, "\(worker.output.suffix(2000))")
        let job = try await harness.inspector.job(id)
        #expect(job.state == .pending, "back in its queue for another worker")
        #expect(job.attempts == 0, "the interrupted run does not count")
        await harness.stack.stop()
    }

    /// Stopping a worker that is still waiting for Redis at start takes no grace period.
    @Test func sigtermWhileRedisIsUnreachableAtStartStopsAtOnce() async throws {
        let stack = try OffloadStack(redisURL: "redis://127.0.0.1:\(try FreePort.next())")
        let worker = try stack.startWorker(["--processes", "1", "--grace-seconds", "60"])
        try await waitUntil("the worker retries Redis") { worker.output.contains("cannot publish job types yet") }
        #expect(worker.isRunning, "\(worker.output.suffix(2000))")
        let asked = ContinuousClock.now
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: .seconds(50)))
        #expect(ContinuousClock.now - asked < .seconds(30), "not the 60 s grace period: \(ContinuousClock.now - asked)")
        #expect(worker.exitCode == 0, "\(worker.output.suffix(2000))")
        await stack.stop()
    }

    @Test func flagsThatWouldOverflowAreUsageErrors() async throws {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        for arguments in [["--queues", "a:9223372036854775807,b:1"], ["--queues", "a:1001"], ["--concurrency", "100000"]] {
            let worker = try stack.startWorker(arguments)
            #expect(await worker.waitForExit(timeout: .seconds(60)))
            #expect(worker.exitCode == 64, "\(arguments): \(worker.output.suffix(500))")
        }
        await stack.stop()
    }

    @Test func shortJobsClaimedAheadGoBackWhenASlowJobHoldsTheSlot() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // Short jobs first: the worker learns their run time and starts claiming ahead.
        for id in try await harness.submitBatch(Array(repeating: "test.noop", count: 50)) {
            #expect(try await harness.wait(id).state == .completed)
        }
        // Paused while submitting, so one claim sees the slow job and the short ones behind it.
        try await harness.inspector.pause(queue: "default")
        let ids = try await harness.submitBatch(["test.sleep"] + Array(repeating: "test.noop", count: 20), payload: #"{"seconds": 2}"#)
        try await harness.inspector.resume(queue: "default")
        for id in ids { #expect(try await harness.wait(id).state == .completed) }
        let events = try await harness.broker.redis.send(
            "XRANGE", .string(harness.broker.keys.queue("default").events), "-", "+")
        let released = Set(
            (events.array ?? []).compactMap { entry -> String? in
                guard let fields = entry.array?.last?.array?.compactMap(\.string), fields.count >= 4, fields[1] == "released" else { return nil }
                return fields[3]
            })
        let short = Set(ids.dropFirst())
        #expect(!released.isEmpty && released.isSubset(of: short), "claimed-ahead short jobs were handed back: \(released.count)")
        for id in ids.dropFirst() {
            let job = try await harness.inspector.job(id)
            #expect(job.attempts == 1, "a hand-back does not count as an attempt")
        }
        await harness.stack.stop()
    }

    /// A job's progress events, oldest first: when Redis stored each (ms), percent, message.
    private func progressEvents(_ harness: Harness, of id: String) async throws -> [(at: Int, percent: Int, message: String)] {
        let events = try await harness.broker.redis.send("XRANGE", .string(harness.broker.keys.queue("default").events), "-", "+")
        return (events.array ?? []).compactMap { entry in
            guard let at = entry.array?.first?.string?.split(separator: "-").first.flatMap({ Int($0) }) else { return nil }
            let fields = entry.array?.last?.array?.compactMap(\.string) ?? []
            var map: [String: String] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { map[fields[index]] = fields[index + 1] }
            guard map["event"] == "progress", map["id"] == id, let percent = map["percent"].flatMap(Int.init) else { return nil }
            return (at, percent, map["message"] ?? "")
        }
    }

    /// Handlers may report progress as often as they like: the worker writes it at most once
    /// per --progress-ms, the newest report winning, and the last report always lands.
    @Test func progressIsWrittenAtMostOncePerIntervalAndTheLastReportLands() async throws {
        let harness = try await Harness()
        // An interval far above what a write can take on a loaded machine, so the spacing
        // below is the pacing's, not the machine's.
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--progress-ms", "2000"])
        let reportsEvery50ms = try await harness.submit("test.sleep", #"{"seconds": 1}"#)  // 20 reports
        let reportsInABurst = try await harness.submit("count-primes", #"{"below": 3000000}"#)  // 10 reports
        for (id, lastMessage) in [(reportsEvery50ms, "step 20 of 20"), (reportsInABurst, "sieved 3000000 of 3000000")] {
            #expect(try await harness.wait(id).state == .completed)
            let writes = try await progressEvents(harness, of: id)
            #expect(writes.map(\.percent) == writes.map(\.percent).sorted(), "in order")
            // Every write but the last (made when the job finished) waited out the interval
            // (timed from before the previous write was sent, hence the margin).
            for (previous, next) in zip(writes, writes.dropFirst()).dropLast() {
                #expect(next.at - previous.at >= 1000, "\(writes.map { ($0.at, $0.percent) })")
            }
            #expect(writes.last?.percent == 100 && writes.last?.message == lastMessage, "\(writes.map(\.percent))")
            let stored = try await harness.inspector.job(id)
            #expect(stored.progress == 100 && stored.progressMessage == lastMessage)
        }
        let paced = try await progressEvents(harness, of: reportsEvery50ms)
        // The first report and the last; between them one per interval the job outlasted (a
        // loaded machine stretches its 1 s), counted with the margin the spacing above allows.
        let run = try await harness.inspector.job(reportsEvery50ms)
        let ranSeconds = try #require(run.finishedAt).timeIntervalSince(try #require(run.startedAt))
        #expect((2...(2 + Int(ranSeconds))).contains(paced.count), "\(ranSeconds) s of 20 reports at one write per 2 s: \(paced.map(\.percent))")
        await harness.stack.stop()
    }

    @Test func progressIntervalZeroWritesReportsWithoutPause() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--progress-ms", "0"])
        // A report made while the one before is being written joins the next write, so a
        // loaded machine (writes slower than 50 ms) writes fewer than 20. Any pacing at the
        // default 100 ms could never write more than 11 in one second, however fast the
        // machine: the best of up to eight runs past 11 shows there is none (one run when idle).
        var runs: [[Int]] = []
        for _ in 0..<8 {
            let id = try await harness.submit("test.sleep", #"{"seconds": 1}"#)  // 20 reports, 50 ms apart
            #expect(try await harness.wait(id).state == .completed)
            let writes = try await progressEvents(harness, of: id)
            #expect(writes.last?.percent == 100)
            runs.append(writes.map(\.percent))
            if writes.count >= 12 { break }
        }
        #expect(runs.map(\.count).max()! >= 12, "\(runs)")
        await harness.stack.stop()
    }

    /// Short jobs ride along to the job thread in batches; one of them that turns out slow
    /// holds up the rest of its batch, but their timeouts count from when each one starts.
    @Test func jobsWaitingInABatchDoNotSpendTheirTimeout() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // test.sleep learns a short average run time.
        for _ in 0..<30 {
            #expect(try await harness.wait(try await harness.submit("test.sleep", #"{"seconds": 0}"#)).state == .completed)
        }
        // Paused while submitting, so one claim takes the slow job and the short ones behind it.
        try await harness.inspector.pause(queue: "default")
        let slow = try await harness.submit("test.sleep", #"{"seconds": 2.5}"#, maxAttempts: 1, timeout: 20)
        var short: [String] = []
        for _ in 0..<5 { short.append(try await harness.submit("test.sleep", #"{"seconds": 0}"#, maxAttempts: 1, timeout: 1)) }
        try await harness.inspector.resume(queue: "default")
        #expect(try await harness.wait(slow).state == .completed)
        for id in short {
            let job = try await harness.wait(id)
            #expect(job.state == .completed, "\(id): \(job.error?.message ?? "")")
        }
        await harness.stack.stop()
    }

    /// Jobs a child claimed ahead and never started go back uncounted when a poison job
    /// kills it: with one attempt each they must still run, not go dead on lease expiry.
    @Test func jobsClaimedAheadOfACrashRunLater() async throws {
        let harness = try await Harness()
        // A lease short enough that jobs left on it would go dead well within the waits below,
        // long enough that heartbeats a loaded machine sends late still keep it.
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--lease-ms", "10000"])
        // Short jobs first: the worker learns their run time and starts claiming ahead.
        for id in try await harness.submitBatch(Array(repeating: "test.noop", count: 200)) {
            #expect(try await harness.wait(id).state == .completed)
        }
        try await harness.inspector.pause(queue: "default")
        let batch = [JobSubmission(type: "test.crash", priority: 5, maxAttempts: 1, allowUnknownType: true)]
            + Array(repeating: JobSubmission(type: "test.noop", maxAttempts: 1, allowUnknownType: true), count: 50)
        let ids = try await harness.broker.submit(batch: batch).map { try $0.get().id }
        try await harness.inspector.resume(queue: "default")
        #expect(try await harness.wait(ids[0]).state == .dead)
        for id in ids.dropFirst() {
            let job = try await harness.wait(id)
            #expect(job.state == .completed, "\(id): \(job.error?.type ?? "") \(job.error?.message ?? "")")
        }
        await harness.stack.stop()
    }

    /// With LOG_FORMAT=json every line the worker writes is a JSON object, a crashing
    /// child's runtime message included (wrapped by the supervisor).
    @Test func jsonLogsStayJSONWhenAChildCrashes() async throws {
        let harness = try await Harness()
        // A bad LOG_LEVEL is warned about before logging starts: in JSON too.
        let worker = try harness.stack.startWorker(
            ["--processes", "1", "--concurrency", "1"], environment: ["LOG_FORMAT": "json", "LOG_LEVEL": "loud"])
        let id = try await harness.submit("test.crash", maxAttempts: 1)
        #expect(try await harness.wait(id).state == .dead)
        try await waitUntil("the crash is logged") { worker.output.contains("crashing on purpose") }
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: .seconds(20)))
        let lines = worker.output.split(separator: "\n").map(String.init)
        let records = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == lines.count, "not JSON: \(lines.filter { !$0.hasPrefix("{") })")
        let crash = records.first { ($0["output"] as? String)?.contains("test.crash: crashing on purpose") == true }
        #expect(crash?["level"] as? String == "warning", "\(records)")
        #expect(records.contains { $0["message"] as? String == "worker started" }, "the children's own records pass through")
        #expect(records.contains { ($0["message"] as? String)?.hasPrefix("LOG_LEVEL 'loud'") == true })
        await harness.stack.stop()
    }

    /// The hard timeout times the handler, not the storing of its outcome: a job that
    /// returned in time while Redis was too busy to take its result costs nothing.
    @Test func aResultSlowToReachRedisIsNotAHardTimeout() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let harness = try await Harness(redisURL: redis.url)
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        // The handler takes 1 s of its 3 s (the soft timeout ends at 2.7 s): room for a loaded
        // machine to run it in time.
        let id = try await harness.submit("test.sleep", #"{"seconds": 1}"#, maxAttempts: 1, timeout: 3)
        try await waitUntil("the job runs") { try await harness.inspector.job(id).state != .pending }
        redis.pause()  // the handler returns meanwhile; its result waits past timeout + margin (3.5 s)
        try await Task.sleep(for: .seconds(5))
        redis.resume()
        let job = try await harness.wait(id)
        #expect(job.state == .completed, "\(String(describing: job.error))")
        #expect(!harness.stack.logs.contains("exceeded its hard timeout"), "\(harness.stack.logs)")
        await harness.stack.stop()
        await redis.stop()
    }

    /// Every start and end reaches the supervisor, however fast jobs go: a lost "ended"
    /// would leave it timing a finished job and kill a healthy child at the job's timeout.
    @Test func manyShortJobsWithATimeoutNeverTripTheSupervisor() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "2"])
        try await waitUntil("worker registered") { try await harness.inspector.workers().count == 1 }
        let pid = try #require(try await harness.inspector.workers().first?.pid)
        var ids: [String] = []
        for _ in 0..<20 {
            let batch = (0..<1_000).map { _ in JobSubmission(type: "test.noop", timeoutSeconds: 1, allowUnknownType: true) }
            ids += try await harness.broker.submit(batch: batch).map { try $0.get().id }
        }
        // A bound on a hang only, inside the suite's 2 min: 20,000 jobs take a loaded machine a while.
        try await waitUntil("20,000 jobs done", timeout: .seconds(90)) {
            try await harness.inspector.counts()["default"]?.completed == ids.count
        }
        // Past every job's hard timeout: a job the supervisor still believed running would now cost the child.
        try await Task.sleep(for: .seconds(3))
        #expect(try await harness.inspector.workers().map(\.pid) == [pid], "the same child process is still running")
        let counts = try #require(try await harness.inspector.counts()["default"])
        #expect(counts.completed == ids.count && counts.dead == 0 && counts.scheduled == 0 && counts.pending == 0)
        await harness.stack.stop()
    }

    @Test func childrenAreRecycledAfterMaxJobs() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--max-jobs-per-child", "5"])
        var ids: [String] = []
        for _ in 0..<20 { ids.append(try await harness.submit("test.noop")) }
        var jobsPerWorker: [String: Int] = [:]
        for id in ids {
            let job = try await harness.wait(id)
            #expect(job.state == .completed && job.attempts == 1)
            if let worker = job.worker { jobsPerWorker[worker, default: 0] += 1 }
        }
        // Short jobs run in batches once their run time is known: a batch stops at the budget.
        #expect(jobsPerWorker.values.allSatisfy { $0 <= 5 }, "\(jobsPerWorker)")
        #expect(jobsPerWorker.count >= 4, "20 jobs at 5 per child need at least 4 children: \(jobsPerWorker)")
        // A recycled child exits cleanly, so its replacement starts at once, without backoff.
        let log = harness.stack.logs
        #expect(!log.contains("worker process exited; restarting"), "\(log)")
        await harness.stack.stop()
    }

    @Test func heartbeatsKeepAShortLeaseAliveOnAnIdleWorker() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1"])
        try await waitUntil("worker registered") { try await harness.inspector.workers().count == 1 }
        // A 6 s job under a 3 s lease only survives if heartbeats come while the worker
        // waits for work (it waits up to 5 s at a time); beats due every second leave a
        // loaded machine's stalls 2 s.
        let id = try await harness.broker.submit(
            JobSubmission(type: "test.sleep", payload: #"{"seconds": 6}"#, leaseMilliseconds: 3_000, allowUnknownType: true)).id
        let job = try await harness.wait(id)
        #expect(job.state == .completed)
        #expect(job.attempts == 1, "the lease never expired: \(String(describing: job.error))")
        await harness.stack.stop()
    }

    @Test func childrenAreRecycledPastTheirMemoryLimit() async throws {
        let harness = try await Harness()
        // Any Swift process is past 1 MiB resident, so every child retires after one job.
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--max-memory-per-child", "1"])
        var workers = Set<String>()
        for _ in 0..<3 {
            let job = try await harness.wait(try await harness.submit("test.noop"))
            #expect(job.state == .completed)
            if let worker = job.worker { workers.insert(worker) }
        }
        #expect(workers.count == 3, "a fresh child for each job: \(workers)")
        await harness.stack.stop()
    }

    @Test func niceLowersTheChildrensPriorityAndTheirJobThreads() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "2", "--concurrency", "1", "--nice", "7"])
        try await waitUntil("two workers registered") { try await harness.inspector.workers().count == 2 }
        // Field 19 of /proc/PID/stat is the nice value (after the parenthesised name).
        func nice(_ path: String) throws -> String {
            let stat = try String(contentsOfFile: path, encoding: .utf8)
            return String(stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")[16])
        }
        for worker in try await harness.inspector.workers() {
            #expect(try nice("/proc/\(worker.pid)/stat") == "7", "nice of \(worker.pid)")
        }
        // The thread that runs a CPU job, which the process's nice alone did not reach.
        let id = try await harness.submit("test.sleep", #"{"seconds": 3}"#)
        let pid = try await harness.pidRunning(id)
        let jobThreads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").filter { tid in
            try String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8).contains("(TP-#0)")
        }
        #expect(jobThreads.count == 1)
        for tid in jobThreads { #expect(try nice("/proc/\(pid)/task/\(tid)/stat") == "7", "nice of the job thread") }
        await harness.stack.stop()
    }

    @Test func idlePriorityPutsOnlyTheJobThreadsUnderSchedIdle() async throws {
        let harness = try await Harness()
        try harness.stack.startWorker(["--processes", "1", "--concurrency", "1", "--idle-priority"])
        let id = try await harness.submit("test.sleep", #"{"seconds": 4}"#)
        let pid = try await harness.pidRunning(id)
        // Field 41 of /proc/PID/task/TID/stat is the scheduling policy: 0 SCHED_OTHER, 5 SCHED_IDLE.
        func policies(named name: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { tid in
                let stat = try String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8)
                guard stat.contains("(\(name))") else { return nil }
                return String(stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")[38])
            }
        }
        #expect(try policies(named: "TP-#0") == ["5"], "the thread running the job")
        #expect(try policies(named: "offload-worker") == ["0"], "the main thread keeps its policy")
        #expect(try await harness.wait(id).state == .completed)
        await harness.stack.stop()
    }

    @Test func supervisorKilledLeavesNoOrphans() async throws {
        let harness = try await Harness()
        let supervisor = try harness.stack.startWorker(["--processes", "2", "--concurrency", "1"])
        try await waitUntil("two workers registered") { try await harness.inspector.workers().count == 2 }
        let children = try await harness.inspector.workers().map(\.pid)
        supervisor.signal(SIGKILL)
        try await waitUntil("the children exited with their supervisor") {
            children.allSatisfy { kill($0, 0) != 0 }
        }
        await harness.stack.stop()
    }
}
