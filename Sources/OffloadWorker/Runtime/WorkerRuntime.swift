import COffloadSystem
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Offload
import OffloadRedis
import ServiceLifecycle

/// One worker process: claims jobs from its queues, runs CPU-bound handlers on dedicated
/// threads and I/O-bound ones as tasks that hold no thread, heartbeats their leases, stores results.
///
/// Loops: the claim loop (blocks on Redis when idle, never polls), the watchdog (extends
/// leases and learns of cancellations, ends soft timeouts, hands back jobs claimed ahead
/// that waited too long; it sleeps until the next of these is due), the maintenance loop
/// (reaps expired leases of crashed workers, sweeps finished jobs whose result TTL ended,
/// refreshes the registry entry). SIGTERM stops claiming, lets running jobs finish within
/// the grace period, then hands the rest back to pending.
package final class WorkerRuntime: Service, Sendable {
    package let broker: Broker
    package let registry: JobRegistry
    package let configuration: WorkerConfiguration
    let logger: Logger

    private struct RunningJob {
        let job: ClaimedJob
        let context: JobContext
        /// When the lease was last granted or extended (the claim counts).
        var leaseRenewedAt = ContinuousClock.now
        /// When its soft timeout ends (90% of the hard one, so a cooperative handler can stop
        /// cleanly before its process is killed); nil before the handler starts and after.
        var softDeadline: ContinuousClock.Instant?

        /// A third of the lease gone (renew it while two thirds remain), or a second: the
        /// heartbeat is also how a running job learns it was cancelled, so a job that runs
        /// for seconds hears of it within one. Jobs shorter than that never need it.
        var heartbeatDue: ContinuousClock.Instant {
            leaseRenewedAt + min(.milliseconds(job.leaseMilliseconds / 3), WorkerRuntime.cancelCheckInterval)
        }

        func needsHeartbeat(at now: ContinuousClock.Instant) -> Bool { now >= heartbeatDue }
    }

    static let cancelCheckInterval: Duration = .seconds(1)

    private let threadPool: NIOThreadPool
    private let cpuSlots: WorkSlots
    private let ioSlots: WorkSlots
    /// Jobs started and not yet finished storing their outcome (counted, never limited).
    private let outcomesInFlight = WorkSlots(capacity: Int.max / 2)
    private let running = NIOLockedValueBox<[String: RunningJob]>([:])
    private let claimedAhead: ClaimedAhead
    private let duties = DutyTimer()
    private let completions: CompletionBatcher
    private let stopping = NIOLockedValueBox(false)
    /// When the stop request came: the grace period counts from it.
    private let stopRequestedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let startupTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let counters = NIOLockedValueBox((started: 0, processed: 0, failed: 0))
    private let wakeConnection: RedisDedicatedConnection
    private let startedAt = Date()
    private let reportChannel: WorkerReportChannel?

    /// `reportChannel`: the pipe to the supervisor, when running as its child.
    package init(
        broker: Broker, registry: JobRegistry, configuration: WorkerConfiguration, logger: Logger,
        reportChannel: WorkerReportChannel? = nil
    ) {
        self.reportChannel = reportChannel
        self.broker = broker
        self.registry = registry
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.concurrency))
        self.cpuSlots = WorkSlots(capacity: max(1, configuration.concurrency))
        self.ioSlots = WorkSlots(capacity: max(1, configuration.ioConcurrency))
        self.wakeConnection = broker.redis.makeDedicatedConnection()
        self.claimedAhead = ClaimedAhead(window: configuration.prefetchWindow, slots: max(1, configuration.concurrency))
        self.completions = CompletionBatcher(broker: broker)
    }

    private var isStopping: Bool { stopping.withLockedValue { $0 } }
    private var queueNames: [String] { configuration.queues.map(\.name) }

    /// Ids of the jobs running now.
    package var runningJobIDs: [String] { running.withLockedValue { Array($0.keys).sorted() } }

    package func run() async throws {
        threadPool.start()
        reportChannel?.send(.hello(workerID: configuration.workerID, queues: queueNames))
        await withGracefulShutdownHandler {
            // A stop request while Redis is still out of reach ends the wait for it at once.
            let startup = Task { await self.publishJobTypes() }
            startupTask.withLockedValue { $0 = startup }
            if isStopping { startup.cancel() }  // asked to stop before the task was stored
            await startup.value
            guard !isStopping else { return }
            if let limit = await broker.listpackValueLimit(), limit < 256 {
                logger.warning(
                    "Redis hash-max-listpack-value is below 256: each job with a payload or result longer than that takes about twice the memory; set it to 256 or more (docs/semantics.md)",
                    metadata: ["hash-max-listpack-value": "\(limit)"])
            }
            logger.info(
                "worker started",
                metadata: [
                    "queues": "\(configuration.queues.map { "\($0.name):\($0.weight)" }.joined(separator: ","))",
                    "concurrency": "\(configuration.concurrency)", "types": "\(registry.names.joined(separator: ","))",
                ])
            await withDiscardingTaskGroup { group in
                group.addTask { await self.watchdogLoop() }
                group.addTask { await self.maintenanceLoop() }
                if let reportChannel = self.reportChannel { group.addTask { await reportChannel.flushBacklog() } }
                await self.claimLoop()
                await self.drain()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        try? await broker.unregisterWorker(id: configuration.workerID)
        await wakeConnection.shutdown()
        logger.info("worker stopped")
    }

    /// Stop claiming; wake the claim loop wherever it waits.
    package func beginShutdown() {
        let first = stopping.withLockedValue { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        stopRequestedAt.withLockedValue { $0 = .now }
        startupTask.withLockedValue { $0?.cancel() }
        logger.info("shutting down: no new jobs", metadata: ["running": "\(running.withLockedValue { $0.count })"])
        cpuSlots.release(0)
        let connection = wakeConnection
        Task { await connection.shutdown() }
    }

    // MARK: Claiming

    private func claimLoop() async {
        var backoff = Duration.milliseconds(100)
        while !isStopping {
            // A stop request wakes it (`beginShutdown` releases no slot but makes it look):
            // with every slot busy, the grace period must not wait for a slot to free.
            await cpuSlots.waitForFree(unless: { self.isStopping })
            if isStopping { break }
            if await startClaimedAhead() { continue }
            var free = cpuSlots.take(upTo: cpuSlots.capacity)
            var wanted = free + max(0, claimedAhead.wanted)
            do {
                var claimedAny = false
                var nextDue: Int64?
                for queue in claimOrder() where wanted > 0 {
                    let result = try await broker.claim(queue: queue, limit: wanted, token: Self.makeToken(), workerID: configuration.workerID)
                    for job in result.jobs {
                        claimedAny = true
                        wanted -= 1
                        if free > 0 {
                            free -= 1
                            await start(job)
                        } else {
                            claimedAhead.hold(job)
                            duties.schedule(.now + configuration.claimedAheadMaxWait)
                        }
                    }
                    if let due = result.nextDueMilliseconds { nextDue = min(nextDue ?? due, due) }
                }
                cpuSlots.release(free)
                free = 0
                backoff = .milliseconds(100)
                if !claimedAny { try await waitForWork(nextDue: nextDue) }
            } catch {
                cpuSlots.release(free)
                if isStopping { break }
                logger.warning("claim failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                try? await Delay.wait(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        await handBack(claimedAhead.takeAll())
    }

    /// Starts jobs claimed ahead on the free slots; true when there were any.
    private func startClaimedAhead() async -> Bool {
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
    private func start(_ held: ClaimedAhead.Held) async {
        if held.cancelRequested {
            cpuSlots.release()
            let cancelled = JobError(type: "cancelled", message: "cancelled on request")
            Task { await self.finish(held.job, outcome: .failure(cancelled, .cancel)) }
        } else {
            await start(held.job)
        }
    }

    /// Gives claimed-ahead jobs back to the front of their queue, uncounted. Each release
    /// goes in front of the one before, so the last claimed goes first: the queue keeps its
    /// order.
    private func handBack(_ jobs: [ClaimedAhead.Held]) async {
        for held in jobs.reversed() { _ = try? await broker.release(held.job) }
    }

    /// Strict: the configured order. Weighted: a weighted random permutation, so every
    /// queue is looked at first in proportion to its weight.
    private func claimOrder() -> [String] {
        if configuration.strictOrder || configuration.queues.count == 1 { return queueNames }
        var remaining = configuration.queues
        var order: [String] = []
        while !remaining.isEmpty {
            var pick = Int.random(in: 0..<remaining.reduce(0) { $0 + $1.weight })
            let index = remaining.firstIndex { queue in
                pick -= queue.weight
                return pick < 0
            } ?? 0
            order.append(remaining.remove(at: index).name)
        }
        return order
    }

    /// Blocks on the queues' wake-up lists until a submit, or until the next scheduled
    /// job is due. Redis times out blocking commands only at its `hz` tick (100 ms by
    /// default), so the last stretch before a due job is a precise local sleep instead.
    private func waitForWork(nextDue: Int64?) async throws {
        var wait = configuration.idleWait
        if let nextDue {
            let delta = nextDue - broker.clock.nowMilliseconds()
            if delta <= 200 {
                if delta > 0 { try await Delay.wait(.milliseconds(delta)) }
                return
            }
            wait = min(wait, .milliseconds(delta - 150))
        }
        _ = try await broker.waitForWork(on: wakeConnection, queues: queueNames, timeout: wait)
    }

    private static func makeToken() -> String { UUID().uuidString.lowercased() }

    // MARK: Running one job

    /// Starts a claimed job; it already holds one CPU slot.
    private func start(_ claimed: ClaimedJob) async {
        let (job, handler) = prepare(claimed)
        if case .io(let body)? = handler?.execution {
            // I/O jobs do not need a thread: give the CPU slot back, take an I/O one.
            cpuSlots.release()
            await ioSlots.waitForFree()
            _ = ioSlots.take(upTo: 1)
            Task {
                let outcome = await self.runIO(job, body: body)
                self.ioSlots.release()
                self.store(job, outcome)
            }
        } else {
            Task { await self.runOnCPUSlot(job, handler: handler) }
        }
    }

    /// The job with its own timeout, else its type's default (the supervisor enforces it).
    private func prepare(_ claimed: ClaimedJob) -> (ClaimedJob, JobRegistry.Handler?) {
        let handler = registry.handler(for: claimed.type)
        countStartedJob()
        guard claimed.timeoutSeconds == nil, let defaultTimeout = handler?.defaultTimeoutSeconds else { return (claimed, handler) }
        let job = ClaimedJob(
            id: claimed.id, queue: claimed.queue, type: claimed.type, payload: claimed.payload, attempt: claimed.attempt,
            maxAttempts: claimed.maxAttempts, timeoutSeconds: defaultTimeout,
            leaseMilliseconds: claimed.leaseMilliseconds, token: claimed.token)
        return (job, handler)
    }

    /// Runs a job on the CPU slot it holds, then the claimed-ahead jobs waiting for a slot,
    /// in this task: short jobs go to the job thread several at a time (`ClaimedAhead.batch`),
    /// so they switch threads only to run. The slot is given back (or passed on) as soon
    /// as the handlers return; outcomes are stored meanwhile, so the next jobs do not wait
    /// for Redis.
    private func runOnCPUSlot(_ first: ClaimedJob, handler firstHandler: JobRegistry.Handler?) async {
        var batch = [(first, firstHandler)]
        while let head = batch.first {
            if !isStopping, head.1 != nil {
                // Only known CPU types have an average, so the batch holds CPU jobs only.
                batch += claimedAhead.batch(after: head.0, maxJobs: jobsLeftBeforeRecycling).map { prepare($0.job) }
            }
            let outcomes = await runCPU(batch)
            let finished = batch.map(\.0)
            batch = []
            if !isStopping, let next = claimedAhead.next() {
                if next.cancelRequested || !isCPUJob(next.job) {
                    await start(next)  // takes over the slot and gives it back itself
                } else {
                    batch = [prepare(next.job)]
                }
            } else {
                cpuSlots.release()
            }
            for (job, outcome) in zip(finished, outcomes) { store(job, outcome) }
        }
    }

    /// A job whose handler runs on a job thread; unknown types count too (they fail at once).
    private func isCPUJob(_ job: ClaimedJob) -> Bool {
        if case .io? = registry.handler(for: job.type)?.execution { return false }
        return true
    }

    /// A job between its setup and its outcome: counted as running (and heartbeated) until
    /// `store` has its outcome in Redis.
    private struct RunningSetup: Sendable {
        let job: ClaimedJob
        let context: JobContext
        let progress: ProgressForwarder
    }

    /// Registers the job as running, with progress reporting. Its clocks start later, in
    /// `startClocks`, when its handler starts: a job waiting behind others in a batch does
    /// not spend its timeout there.
    private func setUp(_ job: ClaimedJob) -> RunningSetup {
        _ = outcomesInFlight.take(upTo: 1)
        // Progress goes out in order, and before the job's completion.
        let progress = ProgressForwarder(broker: broker, job: job, interval: configuration.progressInterval)
        let context = JobContext(job: job, logger: logger) { percent, message in progress.report(percent: percent, message: message) }
        let entry = RunningJob(job: job, context: context)
        running.withLockedValue { $0[job.id] = entry }
        duties.schedule(entry.heartbeatDue)
        return RunningSetup(job: job, context: context, progress: progress)
    }

    /// Right before the handler, on whatever thread runs it: the supervisor learns the job
    /// started (and times its hard timeout from now), and its soft timeout starts (the
    /// watchdog ends it).
    private func startClocks(_ setup: RunningSetup) {
        let job = setup.job
        reportChannel?.send(
            .started(
                queue: job.queue, id: job.id, token: job.token, attempt: job.attempt, maxAttempts: job.maxAttempts,
                timeoutSeconds: job.timeoutSeconds, leaseMilliseconds: job.leaseMilliseconds))
        if let seconds = job.timeoutSeconds {
            let deadline = ContinuousClock.now + .milliseconds(seconds * 900)
            running.withLockedValue { $0[job.id]?.softDeadline = deadline }
            duties.schedule(deadline)
        }
    }

    /// Right after the handler returns, on its thread: the supervisor stops timing the job.
    /// The rest of its batch and the storing of its outcome (slow when Redis is busy) are
    /// not the handler hanging, and must not cost the process.
    private func stopHardTimeout(_ job: ClaimedJob) {
        if job.timeoutSeconds != nil { reportChannel?.send(.ran(id: job.id)) }
    }

    private func tearDown(_ setup: RunningSetup, _ result: Result<String, any Error>) async -> JobOutcome {
        if setup.job.timeoutSeconds != nil { running.withLockedValue { $0[setup.job.id]?.softDeadline = nil } }
        let outcome: JobOutcome
        switch result {
        case .success(let resultJSON): outcome = .success(resultJSON)
        case .failure(let error): outcome = Self.classify(error, context: setup.context)
        }
        await setup.progress.finish()
        return outcome
    }

    private static func unknownType(_ type: String) -> JobOutcome {
        .failure(JobError(type: "unknown_job_type", message: "this worker has no handler for '\(type)'"), .retry)
    }

    /// Runs CPU jobs one after another in a single trip to a job thread; a job of a type
    /// this worker does not know (nil handler) fails without running.
    private func runCPU(_ jobs: [(ClaimedJob, JobRegistry.Handler?)]) async -> [JobOutcome] {
        typealias Work = (index: Int, body: @Sendable (String, JobContext) throws -> String, setup: RunningSetup)
        typealias Ran = (result: Result<String, any Error>, took: Duration)
        var outcomes = [JobOutcome?](repeating: nil, count: jobs.count)
        var work: [Work] = []
        for (index, (job, handler)) in jobs.enumerated() {
            guard case .cpu(let body)? = handler?.execution else {
                _ = outcomesInFlight.take(upTo: 1)
                outcomes[index] = Self.unknownType(job.type)
                continue
            }
            work.append((index, body, setUp(job)))
        }
        if !work.isEmpty {
            let idleScheduling = configuration.idleSchedulingForJobs
            let nice = Int32(configuration.jobThreadNice)
            let work = work
            let results: [Ran]
            do {
                results = try await threadPool.runIfActive {
                    if nice != 0 { _ = offload_set_thread_nice(nice) }
                    if idleScheduling { _ = offload_enter_idle_scheduling() }
                    return work.map { item -> Ran in
                        self.startClocks(item.setup)
                        let began = ContinuousClock.now
                        let result = Result { try item.body(item.setup.job.payload, item.setup.context) }
                        self.stopHardTimeout(item.setup.job)
                        return (result, .now - began)
                    }
                }
            } catch {
                results = work.map { _ in (.failure(error), .zero) }
            }
            for (item, ran) in zip(work, results) {
                if ran.took > .zero { claimedAhead.recordRun(type: item.setup.job.type, ran.took) }
                outcomes[item.index] = await tearDown(item.setup, ran.result)
            }
        }
        return outcomes.map { $0! }
    }

    private func runIO(_ job: ClaimedJob, body: @Sendable (String, JobContext) async throws -> String) async -> JobOutcome {
        let setup = setUp(job)
        startClocks(setup)
        let result: Result<String, any Error>
        do {
            result = .success(try await body(job.payload, setup.context))
        } catch {
            result = .failure(error)
        }
        stopHardTimeout(job)
        return await tearDown(setup, result)
    }

    /// Stores the outcome without holding up the caller: results go in the next batch;
    /// failures, and results Redis could not take, go through `finish` and its retries.
    private func store(_ job: ClaimedJob, _ outcome: JobOutcome) {
        guard case .success(let resultJSON) = outcome else {
            Task {
                await self.finish(job, outcome: outcome)
                self.stored(job)
            }
            return
        }
        completions.enqueue(job, resultJSON: resultJSON) { result in
            switch result {
            case .success(true):
                self.counters.withLockedValue { $0.processed += 1 }
            case .success(false):
                self.logger.warning("lease lost before completion; result discarded (another run owns the job)", metadata: ["job": "\(job.id)"])
            case .failure:
                Task {
                    await self.finish(job, outcome: outcome)
                    self.stored(job)
                }
                return
            }
            self.stored(job)
        }
    }

    /// The job's outcome is in Redis (or given up): it is no longer this worker's.
    private func stored(_ job: ClaimedJob) {
        running.withLockedValue { $0[job.id] = nil }
        outcomesInFlight.release()
        reportChannel?.send(.ended(id: job.id))
        recycleIfDue()
    }

    enum JobOutcome {
        case success(String)
        case failure(JobError, FailDisposition)
    }

    static func classify(_ error: any Error, context: JobContext) -> JobOutcome {
        let reason = context.cancellationReason
        if error is JobCancelledError || error is CancellationError, let reason {
            if reason == CancelReason.cancelled {
                return .failure(JobError(type: "cancelled", message: "cancelled on request"), .cancel)
            }
            return .failure(JobError(type: reason == CancelReason.softTimeout ? "timeout" : "interrupted", message: reason), .retry)
        }
        if let permanent = error as? PermanentJobError {
            return .failure(JobError(type: "permanent", message: permanent.message), .dead)
        }
        return .failure(JobError(type: String(describing: type(of: error)), message: String(describing: error)), .retry)
    }

    /// Stores the outcome, retrying while Redis is briefly away: the result of a finished
    /// run should not be thrown away over a blip.
    private func finish(_ job: ClaimedJob, outcome: JobOutcome) async {
        var delay = Duration.milliseconds(100)
        for attempt in 1...30 {
            do {
                switch outcome {
                case .success(let resultJSON):
                    if try await completions.complete(job, resultJSON: resultJSON) {
                        counters.withLockedValue { $0.processed += 1 }
                    } else {
                        logger.warning("lease lost before completion; result discarded (another run owns the job)", metadata: ["job": "\(job.id)"])
                    }
                case .failure(let error, let disposition):
                    let outcome = try await broker.fail(job, error: error, disposition: disposition)
                    if outcome == .lost {
                        // The fail script changed nothing: another run owns the job (fencing token).
                        logger.warning(
                            "lease lost before the outcome was stored; outcome discarded (another run owns the job)",
                            metadata: ["job": "\(job.id)", "error": "\(error.type): \(error.message)"])
                        return
                    }
                    counters.withLockedValue { $0.failed += 1 }
                    logger.info("job failed", metadata: ["job": "\(job.id)", "error": "\(error.type): \(error.message)", "now": "\(outcome.rawValue)"])
                }
                return
            } catch where error.code == .unavailable && attempt < 30 {
                try? await Delay.wait(delay)
                delay = min(delay * 2, .seconds(2))
            } catch {
                logger.error("could not store the job's outcome; its lease will expire and it will run again", metadata: ["job": "\(job.id)", "error": "\(error)"])
                return
            }
        }
    }

    /// Recycling: stop claiming once the memory or job budget is used up; the process
    /// exits when idle and the supervisor replaces it.
    private func recycleIfDue() {
        if let limit = configuration.maxMemoryPerChildMB, let resident = Self.residentMemoryMB(), resident > limit {
            retire(reason: "resident memory \(resident) MiB over \(limit) MiB")
        }
    }

    /// Counted when a job starts, so jobs run back to back on a slot stop at the limit too.
    private func countStartedJob() {
        let started = counters.withLockedValue { counters in
            counters.started += 1
            return counters.started
        }
        if let limit = configuration.maxJobsPerChild, started >= limit { retire(reason: "ran \(started) jobs (max \(limit))") }
    }

    /// Jobs this process may still start before it recycles (`maxJobsPerChild`): a batch
    /// takes no more, so a child never runs past its budget.
    private var jobsLeftBeforeRecycling: Int {
        guard let limit = configuration.maxJobsPerChild else { return .max }
        return max(0, limit - counters.withLockedValue { $0.started })
    }

    private func retire(reason: String) {
        guard !isStopping else { return }
        logger.info("recycling this worker process", metadata: ["reason": "\(reason)"])
        reportChannel?.send(.retiring(reason: reason))
        beginShutdown()
    }

    static func residentMemoryMB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
    }

    // MARK: Background loops

    /// The jobs' timed duties, each when it is due (DutyTimer): renew all leases (one
    /// script call per queue) once some lease is a third gone, however short it is; end
    /// soft timeouts; hand back jobs claimed ahead that waited too long for a slot (they
    /// are for a steady flow of short jobs; when slots stay busy, other workers should
    /// have them). A duty that could not be done (Redis unreachable) is tried again in
    /// 50 ms.
    private func watchdogLoop() async {
        while !Task.isCancelled {
            let seen = duties.changes
            let now = ContinuousClock.now
            if running.withLockedValue({ $0.values.contains { $0.needsHeartbeat(at: now) } }) {
                await heartbeat()
            }
            endSoftTimeouts(at: now)
            await handBack(claimedAhead.takeAll(ifOldestWaited: configuration.claimedAheadMaxWait))
            await duties.wait(until: nextDuty(after: now), seen: seen)
        }
    }

    private func nextDuty(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let due = running.withLockedValue { running in running.values.flatMap { [$0.heartbeatDue, $0.softDeadline] } }
            + [claimedAhead.oldestSince.map { $0 + configuration.claimedAheadMaxWait }]
        return due.compactMap { $0 }.min().map { max($0, now + .milliseconds(50)) }
    }

    private func endSoftTimeouts(at now: ContinuousClock.Instant) {
        let timedOut = running.withLockedValue { running -> [JobContext] in
            let ids = running.filter { $0.value.softDeadline.map { $0 <= now } ?? false }.keys
            return ids.compactMap { id in
                running[id]?.softDeadline = nil
                return running[id]?.context
            }
        }
        for context in timedOut { context.cancel(reason: CancelReason.softTimeout) }
    }

    /// Extends every running job's lease; learns which were cancelled or lost.
    func heartbeat() async {
        let renewedAt = ContinuousClock.now
        let jobs = running.withLockedValue { $0.values.map(\.job) } + claimedAhead.jobs
        for (queue, queueJobs) in Dictionary(grouping: jobs, by: \.queue) {
            guard let (lost, cancel) = try? await broker.extendLeases(queue: queue, jobs: queueJobs) else { continue }
            claimedAhead.apply(lost: lost, cancel: cancel)
            running.withLockedValue { running in
                for job in queueJobs where !lost.contains(job.id) { running[job.id]?.leaseRenewedAt = renewedAt }
                for id in lost { running[id]?.context.cancel(reason: CancelReason.leaseLost) }
                for id in cancel { running[id]?.context.cancel(reason: CancelReason.cancelled) }
            }
        }
    }

    private func maintenanceLoop() async {
        var lastRegistration = ContinuousClock.now - .seconds(3600)
        let schedules = ScheduleFirer(broker: broker, logger: logger)
        while !Task.isCancelled {
            if !isStopping {
                do { try await schedules.fireDue() } catch { logger.debug("cannot fire schedules now", metadata: ["error": "\(error)"]) }
            }
            for queue in queueNames {
                do {
                    let (requeued, dead) = try await broker.reapExpiredLeases(queue: queue)
                    if requeued + dead > 0 {
                        logger.warning("recovered jobs with expired leases", metadata: ["queue": "\(queue)", "requeued": "\(requeued)", "dead": "\(dead)"])
                    }
                } catch {}
            }
            if ContinuousClock.now - lastRegistration >= configuration.registryInterval {
                await register()
                lastRegistration = .now
            }
            do { try await Delay.wait(configuration.reapInterval) } catch { return }
        }
    }

    /// The registry entry, and the job types again: a Redis that lost its data (restarted
    /// without persistence, flushed) learns them back within one interval, so the API does
    /// not refuse their submits until the workers restart.
    private func register() async {
        try? await broker.publishJobTypes(registry.names)
        let (processed, failed) = counters.withLockedValue { ($0.processed, $0.failed) }
        let info = WorkerInfo(
            id: configuration.workerID, pid: getpid(), host: ProcessInfo.processInfo.hostName, queues: queueNames,
            concurrency: configuration.concurrency, currentJobs: runningJobIDs, startedAt: startedAt, heartbeatAt: Date(),
            processed: processed, failed: failed)
        let seconds = configuration.registryInterval.components.seconds
        try? await broker.registerWorker(info, ttlSeconds: Int(max(5, seconds * 3)))
    }

    private func publishJobTypes() async {
        var delay = Duration.milliseconds(200)
        while !isStopping {
            do {
                try await broker.publishJobTypes(registry.names)
                return
            } catch {
                logger.warning("cannot publish job types yet; retrying", metadata: ["error": "\(error)"])
                try? await Delay.wait(delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// After claiming stopped: wait for running jobs within the grace period, then hand
    /// back what is left so another worker runs it at once (no waiting for a lease).
    private func drain() async {
        let deadline = (stopRequestedAt.withLockedValue { $0 } ?? .now) + configuration.gracePeriod
        func remaining() -> Duration { max(.zero, deadline - .now) }
        let idle = await cpuSlots.waitUntilIdle(timeout: remaining())
        let ioIdle = await ioSlots.waitUntilIdle(timeout: idle ? remaining() : .zero)
        if idle && ioIdle {
            // Handlers are done; let their outcomes reach Redis before the process exits.
            _ = await outcomesInFlight.waitUntilIdle(timeout: max(.seconds(5), remaining()))
            return
        }
        // Newest first, as in `handBack`: ids start with their creation time.
        let leftovers = running.withLockedValue { $0.values.sorted { $0.job.id > $1.job.id } }
        for item in leftovers {
            item.context.cancel(reason: CancelReason.shutdown)
            let released = (try? await broker.release(item.job)) ?? false
            logger.warning("job did not finish within the grace period; handed back", metadata: ["job": "\(item.job.id)", "released": "\(released)"])
        }
    }
}

/// Why a running job's context was cancelled.
enum CancelReason {
    static let cancelled = "cancelled on request"
    static let softTimeout = "soft timeout reached"
    static let leaseLost = "lease lost"
    static let shutdown = "worker shutting down"
}
