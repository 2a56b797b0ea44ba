import Logging
import NIOConcurrencyHelpers
import Offload
import ServiceLifecycle

/// One worker process: claims jobs from its queues, runs CPU-bound handlers on dedicated
/// threads and I/O-bound ones as tasks that hold no thread, heartbeats their leases, stores
/// results. A composition of parts, one job each:
///
/// - `ClaimLoop`: claims as slots free up; blocks on Redis when idle, never polls.
/// - `JobExecutor` (with `JobRunSteps`, `RunningJobs`): runs what was claimed, batching short jobs.
/// - `OutcomeStore`: gets results and failures into Redis, in batches, retrying over blips.
/// - `LeaseWatchdog`: renews leases, learns of cancellations, ends soft timeouts, hands
///   back jobs claimed ahead that waited too long; it sleeps until the next is due.
/// - `MaintenanceService`: reaps expired leases, fires schedules, refreshes the registry.
/// - `RecyclingPolicy`: retires the process after its job or memory budget.
/// - `Drain`: on a stop request, lets running jobs finish within the grace period, then
///   hands the rest back to pending.
///
/// Every part takes the same clock: `ContinuousClock` in a worker, a manual one in tests.
package final class WorkerRuntime: Service, Sendable {
    package let broker: Broker
    package let registry: JobRegistry
    package let configuration: WorkerConfiguration
    let logger: Logger

    private let stop: StopRequest
    private let running: RunningJobs
    private let executor: JobExecutor
    private let claimLoop: ClaimLoop
    private let watchdog: LeaseWatchdog
    private let maintenance: MaintenanceService
    private let drain: Drain
    private let reportChannel: WorkerReportChannel?
    private let clock: AnyClock
    /// Publishes the job types before anything else, retrying until Redis answers.
    private let startupTask: NIOLockedValueBox<Task<Void, Never>?>

    /// `reportChannel`: the pipe to the supervisor, when running as its child. `clock`: what
    /// every lease, timeout, wait and grace period is measured on; the broker's wall clock
    /// must move with it.
    package init(
        broker: Broker, registry: JobRegistry, configuration: WorkerConfiguration, logger: Logger,
        reportChannel: WorkerReportChannel? = nil, clock: any Clock<Duration> = ContinuousClock()
    ) {
        var tagged = logger
        tagged[metadataKey: "worker"] = "\(configuration.workerID)"
        let logger = tagged
        let clock = AnyClock(clock)
        let stop = StopRequest(clock: clock)
        let running = RunningJobs()
        let startupTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let recycling = RecyclingPolicy(maxJobs: configuration.maxJobsPerChild, maxMemoryMB: configuration.maxMemoryPerChildMB) { reason in
            guard !stop.isRequested else { return }
            logger.info("recycling this worker process", metadata: ["reason": "\(reason)"])
            reportChannel?.send(.retiring(reason: reason))
            stop.request()
        }
        let duties = DutyTimer(clock: clock)
        let claimedAhead = ClaimedAhead(window: configuration.prefetchWindow, slots: max(1, configuration.concurrency), clock: clock)
        let outcomes = OutcomeStore(broker: broker, running: running, recycling: recycling, reportChannel: reportChannel, clock: clock, logger: logger)
        let runs = JobRunSteps(
            broker: broker, running: running, duties: duties, outcomes: outcomes, reportChannel: reportChannel,
            progressInterval: configuration.progressInterval, clock: clock, logger: logger)
        let executor = JobExecutor(
            registry: registry, configuration: configuration, claimedAhead: claimedAhead, runs: runs, outcomes: outcomes,
            recycling: recycling, stop: stop)
        stop.onStop {
            logger.info("shutting down: no new jobs", metadata: ["running": "\(running.count)"])
            // A stop request while Redis is still out of reach ends the wait for it at once.
            startupTask.withLockedValue { $0?.cancel() }
        }

        self.broker = broker
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.reportChannel = reportChannel
        self.clock = clock
        self.stop = stop
        self.running = running
        self.startupTask = startupTask
        self.executor = executor
        self.claimLoop = ClaimLoop(
            broker: broker, configuration: configuration, executor: executor, claimedAhead: claimedAhead, duties: duties, stop: stop,
            clock: clock, logger: logger)
        self.watchdog = LeaseWatchdog(
            broker: broker, running: running, claimedAhead: claimedAhead, duties: duties,
            claimedAheadMaxWait: configuration.claimedAheadMaxWait, clock: clock)
        self.maintenance = MaintenanceService(
            broker: broker, configuration: configuration, jobTypes: registry.names, running: running, outcomes: outcomes, stop: stop,
            clock: clock, logger: logger)
        self.drain = Drain(
            broker: broker, executor: executor, running: running, outcomes: outcomes, stop: stop,
            gracePeriod: configuration.gracePeriod, clock: clock, logger: logger)
    }

    private var queueNames: [String] { configuration.queues.map(\.name) }

    /// Ids of the jobs running now.
    package var runningJobIDs: [String] { running.ids }

    package func run() async throws {
        executor.startThreads()
        reportChannel?.send(.hello(workerID: configuration.workerID, queues: queueNames))
        await withGracefulShutdownHandler {
            let startup = Task { await self.publishJobTypes() }
            startupTask.withLockedValue { $0 = startup }
            if stop.isRequested { startup.cancel() }  // asked to stop before the task was stored
            await startup.value
            guard !stop.isRequested else { return }
            await warnOfSmallListpackValues()
            logger.info(
                "worker started",
                metadata: [
                    "queues": "\(configuration.queues.map { "\($0.name):\($0.weight)" }.joined(separator: ","))",
                    "concurrency": "\(configuration.concurrency)", "types": "\(registry.names.joined(separator: ","))",
                ])
            await withDiscardingTaskGroup { group in
                group.addTask { await self.watchdog.run() }
                group.addTask { try? await self.maintenance.run() }
                if let reportChannel = self.reportChannel { group.addTask { await reportChannel.flushBacklog() } }
                await self.claimLoop.run()
                await self.drain.run()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        try? await broker.unregisterWorker(id: configuration.workerID)
        await claimLoop.shutdown()
        logger.info("worker stopped")
    }

    /// Stop claiming; wake the claim loop wherever it waits.
    package func beginShutdown() {
        stop.request()
    }

    private func warnOfSmallListpackValues() async {
        guard let limit = await broker.listpackValueLimit(), limit < 256 else { return }
        logger.warning(
            "Redis hash-max-listpack-value is below 256: each job with a payload or result longer than that takes about twice the memory; set it to 256 or more (docs/semantics.md)",
            metadata: ["hash-max-listpack-value": "\(limit)"])
    }

    private func publishJobTypes() async {
        var delay = Duration.milliseconds(200)
        while !stop.isRequested {
            do {
                try await broker.publishJobTypes(registry.names)
                return
            } catch {
                logger.warning("cannot publish job types yet; retrying", metadata: ["error": "\(error)"])
                await stop.wait(upTo: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
