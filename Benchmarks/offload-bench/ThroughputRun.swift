import ArgumentParser
import Foundation
import Offload
import OffloadRedis
import Synchronization

/// The phases of one `offload-bench throughput` run, on a deployment already emptied and
/// with its queues chosen.
struct ThroughputRun {
    let options: ThroughputBench
    let broker: Broker
    let cpu: DeploymentCPU
    let queues: [String]
    let payload: String

    func submission(_ index: Int) -> JobSubmission {
        JobSubmission(type: "test.noop", payload: payload, queue: queues[index % queues.count])
    }

    func startWorker(processes: String? = nil) throws -> BenchChildProcess {
        var arguments = options.workerArguments.split(separator: " ").map(String.init)
        if let processes { arguments = ["--processes", processes] }
        arguments += ["--redis-url", options.redisURL, "--enable-test-jobs", "--queues", queues.joined(separator: ",")]
        if options.minReplicas > 0 { arguments += ["--min-replicas", String(options.minReplicas)] }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("offload-bench-worker-\(getpid()).log").path
        return try BenchChildProcess(options.workerExecutable, arguments, logPath: log)
    }

    /// A worker starts, publishes `test.noop` and leaves, as an API-fronted stack would
    /// have it before its first submit.
    func publishJobTypes() async throws {
        let worker = try startWorker(processes: "1")
        let deadline = ContinuousClock.now + .seconds(120)
        while try await broker.redis.send("HEXISTS", .string(broker.keys.jobTypes), "test.noop").int != 1 {
            guard worker.isRunning, ContinuousClock.now < deadline else {
                await worker.stop()
                throw ValidationError("the worker did not publish its job types:\n\(worker.logTail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        await worker.stop()
    }

    func loneSubmits() async throws -> LatencyFigures? {
        guard options.latencyJobs > 0 else { return nil }
        for index in 0..<min(100, options.latencyJobs) { _ = try await broker.submit(submission(index)) }  // warm-up, drained later
        var micros: [Double] = []
        micros.reserveCapacity(options.latencyJobs)
        for index in 0..<(options.latencyJobs - min(100, options.latencyJobs)) {
            let start = ContinuousClock.now
            _ = try await broker.submit(submission(index))
            micros.append((ContinuousClock.now - start).seconds * 1e6)
        }
        return LatencyFigures(micros)
    }

    func concurrentSubmits() async throws -> PhaseFigures {
        let next = JobCounter()
        let jobs = options.jobs
        let submissions = (0..<jobs).map(submission)
        let cpuBefore = try await cpu.snapshot()
        let ownBefore = ProcessTreeCPU.ownSeconds()
        let start = ContinuousClock.now
        let micros = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<options.submitters {
                group.addTask {
                    var micros: [Double] = []
                    while true {
                        let index = next.take()
                        guard index < jobs else { return micros }
                        let begin = ContinuousClock.now
                        _ = try await broker.submit(submissions[index])
                        micros.append((ContinuousClock.now - begin).seconds * 1e6)
                    }
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let cpuAfter = try await cpu.snapshot()
        return PhaseFigures(
            jobs: jobs, seconds: elapsed, rate: Double(jobs) / elapsed, latency: LatencyFigures(micros),
            redisCPU: cpu.perJob(cpuBefore, cpuAfter, jobs: jobs),
            clientCPUUs: (ProcessTreeCPU.ownSeconds() - ownBefore) * 1e6 / Double(jobs))
    }

    func batchSubmits() async throws -> PhaseFigures {
        let jobs = options.jobs
        let cpuBefore = try await cpu.snapshot()
        let ownBefore = ProcessTreeCPU.ownSeconds()
        let start = ContinuousClock.now
        var submitted = 0
        while submitted < jobs {
            let count = min(options.batchSize, jobs - submitted)
            let outcomes = try await broker.submit(batch: (submitted..<(submitted + count)).map(submission))
            for outcome in outcomes { _ = try outcome.get() }
            submitted += count
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let cpuAfter = try await cpu.snapshot()
        return PhaseFigures(
            jobs: jobs, seconds: elapsed, rate: Double(jobs) / elapsed, latency: nil,
            redisCPU: cpu.perJob(cpuBefore, cpuAfter, jobs: jobs),
            clientCPUUs: (ProcessTreeCPU.ownSeconds() - ownBefore) * 1e6 / Double(jobs))
    }

    /// Starts the worker and polls the queues' completed sets every 10 ms; the rate and the
    /// CPU figures run from the first poll that finds jobs completed to the last job, so the
    /// worker's start-up counts in neither.
    func drain(jobs: Int) async throws -> PhaseFigures {
        let polls = queues.map { RedisCommand("ZCARD", .string(broker.keys.queue($0).completed)) }
        func completed() async throws -> Int {
            try await broker.redis.pipeline(polls).reduce(0) { $0 + ($1.int ?? 0) }
        }
        let worker = try startWorker()
        var first: (instant: ContinuousClock.Instant, done: Int, redis: [Double], workers: Double)?
        var lastZero = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(600)
        while true {
            let done = try await completed()
            let now = ContinuousClock.now
            if done == 0 {
                lastZero = now
            } else if first == nil {
                first = (now, done, try await cpu.snapshot(), ProcessTreeCPU.seconds(worker.pid))
            }
            if done >= jobs, var first {
                let redisAfter = try await cpu.snapshot()
                let workersAfter = ProcessTreeCPU.seconds(worker.pid)
                await worker.stop()
                if first.done >= jobs { first.instant = lastZero; first.done = 0 }  // all within one poll
                let counted = jobs - first.done
                let elapsed = (now - first.instant).seconds
                return PhaseFigures(
                    jobs: counted, seconds: elapsed, rate: Double(counted) / max(elapsed, 1e-9), latency: nil,
                    redisCPU: cpu.perJob(first.redis, redisAfter, jobs: counted),
                    workersCPUUs: (workersAfter - first.workers) * 1e6 / Double(max(1, counted)))
            }
            guard worker.isRunning, now < deadline else {
                await worker.stop()
                throw ValidationError("drained \(done) of \(jobs) jobs:\n\(worker.logTail)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Hands out job numbers to the concurrent submitters.
final class JobCounter: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
