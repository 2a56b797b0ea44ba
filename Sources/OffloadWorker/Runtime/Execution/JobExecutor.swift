import COffloadSystem
import NIOPosix
import Offload

/// Runs claimed jobs: CPU-bound handlers on dedicated threads, short ones several per trip
/// to a thread (`ClaimedAhead.batch`), I/O-bound ones as tasks that hold no thread. A CPU
/// slot is given back (or passed to the next job claimed ahead) as soon as the handlers
/// return; outcomes go to the `OutcomeStore` meanwhile, so the next jobs do not wait for Redis.
final class JobExecutor: Sendable {
    /// One per CPU job running (and per claim in flight): the claim loop takes them.
    let cpuSlots: WorkSlots
    let ioSlots: WorkSlots
    private let registry: JobRegistry
    private let threadPool: NIOThreadPool
    private let claimedAhead: ClaimedAhead
    private let runs: JobRunSteps
    private let outcomes: OutcomeStore
    private let recycling: RecyclingPolicy
    private let stop: StopRequest
    private let idleScheduling: Bool
    private let threadNice: Int32

    init(
        registry: JobRegistry, configuration: WorkerConfiguration, claimedAhead: ClaimedAhead, runs: JobRunSteps,
        outcomes: OutcomeStore, recycling: RecyclingPolicy, stop: StopRequest
    ) {
        self.registry = registry
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.concurrency))
        self.cpuSlots = WorkSlots(capacity: max(1, configuration.concurrency))
        self.ioSlots = WorkSlots(capacity: max(1, configuration.ioConcurrency))
        self.claimedAhead = claimedAhead
        self.runs = runs
        self.outcomes = outcomes
        self.recycling = recycling
        self.stop = stop
        self.idleScheduling = configuration.idleSchedulingForJobs
        self.threadNice = Int32(configuration.jobThreadNice)
    }

    func startThreads() { threadPool.start() }

    /// Starts jobs claimed ahead on the free slots; true when there were any.
    func startClaimedAhead() async -> Bool {
        var startedAny = false
        while cpuSlots.take(upTo: 1) == 1 {
            guard let held = claimedAhead.next() else {
                cpuSlots.release()
                break
            }
            startedAny = true
            await start(held)
        }
        return startedAny
    }

    /// Starts a claimed-ahead job on a CPU slot the caller holds.
    func start(_ held: ClaimedAhead.Held) async {
        if held.cancelRequested {
            cpuSlots.release()
            Task { await self.outcomes.finish(held.job, outcome: .cancelledOnRequest) }
        } else {
            await start(held.job)
        }
    }

    /// Starts a claimed job; it already holds one CPU slot.
    func start(_ claimed: ClaimedJob) async {
        let (job, handler) = prepare(claimed)
        if case .io(let body)? = handler?.execution {
            // I/O jobs do not need a thread: give the CPU slot back, take an I/O one.
            cpuSlots.release()
            await ioSlots.waitForFree()
            _ = ioSlots.take(upTo: 1)
            Task {
                let outcome = await self.runIO(job, body: body)
                self.ioSlots.release()
                self.outcomes.store(job, outcome)
            }
        } else {
            Task { await self.runOnCPUSlot(job, handler: handler) }
        }
    }

    /// The job with its own timeout, else its type's default (the supervisor enforces it).
    private func prepare(_ claimed: ClaimedJob) -> (ClaimedJob, JobRegistry.Handler?) {
        let handler = registry.handler(for: claimed.type)
        recycling.jobStarted()
        guard claimed.timeoutSeconds == nil, let defaultTimeout = handler?.defaultTimeoutSeconds else { return (claimed, handler) }
        let job = ClaimedJob(
            id: claimed.id, queue: claimed.queue, type: claimed.type, payload: claimed.payload, attempt: claimed.attempt,
            maxAttempts: claimed.maxAttempts, timeoutSeconds: defaultTimeout,
            leaseMilliseconds: claimed.leaseMilliseconds, token: claimed.token)
        return (job, handler)
    }

    /// Runs a job on the CPU slot it holds, then the claimed-ahead jobs waiting for a slot,
    /// in this task: short jobs go to the job thread several at a time, so they switch
    /// threads only to run.
    private func runOnCPUSlot(_ first: ClaimedJob, handler firstHandler: JobRegistry.Handler?) async {
        var batch = [(first, firstHandler)]
        while let head = batch.first {
            if !stop.isRequested, head.1 != nil {
                // Only known CPU types have an average, so the batch holds CPU jobs only.
                batch += claimedAhead.batch(after: head.0, maxJobs: recycling.jobsLeft).map { prepare($0.job) }
            }
            let outcomes = await runCPU(batch)
            let finished = batch.map(\.0)
            batch = []
            if !stop.isRequested, let next = claimedAhead.next() {
                if next.cancelRequested || !isCPUJob(next.job) {
                    await start(next)  // takes over the slot and gives it back itself
                } else {
                    batch = [prepare(next.job)]
                }
            } else {
                cpuSlots.release()
            }
            for (job, outcome) in zip(finished, outcomes) { self.outcomes.store(job, outcome) }
        }
    }

    /// A job whose handler runs on a job thread; unknown types count too (they fail at once).
    private func isCPUJob(_ job: ClaimedJob) -> Bool {
        if case .io? = registry.handler(for: job.type)?.execution { return false }
        return true
    }

    /// Runs CPU jobs one after another in a single trip to a job thread; a job of a type
    /// this worker does not know (nil handler) fails without running.
    private func runCPU(_ jobs: [(ClaimedJob, JobRegistry.Handler?)]) async -> [JobOutcome] {
        typealias Work = (index: Int, body: @Sendable (String, JobContext) throws -> String, run: JobRunSteps.Run)
        var outcomes = [JobOutcome?](repeating: nil, count: jobs.count)
        var work: [Work] = []
        for (index, (job, handler)) in jobs.enumerated() {
            guard case .cpu(let body)? = handler?.execution else {
                self.outcomes.expectOutcome()
                outcomes[index] = .unknownType(job.type)
                continue
            }
            work.append((index, body, runs.setUp(job)))
        }
        guard !work.isEmpty else { return outcomes.map { $0! } }
        let (idleScheduling, nice, runs, batch) = (idleScheduling, threadNice, runs, work)
        let results: [JobRunSteps.Ran]
        do {
            results = try await threadPool.runIfActive {
                if nice != 0 { _ = offload_set_thread_nice(nice) }
                if idleScheduling { _ = offload_enter_idle_scheduling() }
                return batch.map { item in runs.runOnThisThread(item.run, body: item.body) }
            }
        } catch {
            results = work.map { _ in (.failure(error), .zero) }
        }
        for (item, ran) in zip(work, results) {
            if ran.took > .zero { claimedAhead.recordRun(type: item.run.job.type, ran.took) }
            outcomes[item.index] = await runs.tearDown(item.run, ran.result)
        }
        return outcomes.map { $0! }
    }

    private func runIO(_ job: ClaimedJob, body: @Sendable (String, JobContext) async throws -> String) async -> JobOutcome {
        let run = runs.setUp(job)
        runs.startClocks(run)
        let result: Result<String, any Error>
        do {
            result = .success(try await body(job.payload, run.context))
        } catch {
            result = .failure(error)
        }
        runs.stopHardTimeout(run.job)
        return await runs.tearDown(run, result)
    }
}
