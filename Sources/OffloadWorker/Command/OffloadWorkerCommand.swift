import ArgumentParser
import COffloadSystem
import Foundation
import Logging
import Offload
import OffloadCommandLine
import ServiceLifecycle
import UnixSignals

/// The whole `offload-worker` command line for a worker executable of your own: a
/// supervisor that runs `--processes` children of the same executable, each running the
/// given jobs (CPU jobs on dedicated threads, I/O jobs as tasks that hold no thread), with every
/// flag of the stock worker (`--help` lists them).
///
/// ```swift
/// import OffloadWorker
///
/// @main struct MyWorker {
///     static func main() async { await OffloadWorkerCommand.main(jobs: [Thumbnail()]) }
/// }
/// ```
public struct OffloadWorkerCommand: ParsableCommand {
    /// The command's name and help text.
    public static let configuration = CommandConfiguration(
        commandName: "offload-worker",
        abstract: "Run Offload jobs from Redis queues on dedicated threads."
    )

    /// Parses the process's arguments and runs the worker (or prints help or an error and
    /// exits with its code). Returns when the worker has stopped; the process then exits
    /// with 0, or with the failure's code.
    public static func main(jobs: [any RunnableJob]) async {
        do {
            let command = try parse()
            let registry = try JobRegistry(jobs: jobs, includeDiagnostics: command.enableTestJobs)
            try await command.run(registry: registry)
        } catch let error as WorkerConfigurationError {
            exit(withError: ValidationError(error.description))
        } catch {
            exit(withError: error)
        }
    }

    /// The defaults of every flag; `main(jobs:)` parses the real ones.
    public init() {}

    @Option(name: .long, help: "Queues to take jobs from, with optional weights: high:3,default:1")
    var queues = "default"

    @Flag(name: .long, help: "Drain queues strictly in the order given instead of by weight.")
    var strict = false

    @Option(name: .long, help: "CPU-bound jobs run at once per process (one thread each).")
    var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(name: .long, help: "I/O-bound jobs run at once per process.")
    var ioConcurrency = 100

    @Option(
        name: .long,
        help: "Claim short jobs ahead of free slots, up to this many milliseconds of work at their average run time (0: never).")
    var prefetchMs = 5.0

    @Option(name: .long, help: "Write a running job's progress to Redis at most once per this many milliseconds; the newest report wins (0: no pause between writes).")
    var progressMs = 100

    @OptionGroup var redis: RedisOptions

    @OptionGroup var replication: ReplicationOptions

    @Option(name: .long, help: "Seconds running jobs get to finish after SIGTERM (a second signal stops at once).")
    var graceSeconds = 30

    @Option(name: .long, help: "Default lease of a job in milliseconds (a job's own lease_ms wins).")
    var leaseMs = 30_000

    @Flag(name: .long, help: "Also serve the diagnostic job types test.* (noop, sleep, fail, crash, hang; for tests and demos).")
    var enableTestJobs = false

    @Option(name: .long, help: "Worker processes to run under this supervisor.")
    var processes = 1

    @Option(name: .long, help: "Lower the workers' CPU priority by this much (0-19) so an API on the same machine stays responsive.")
    var nice = 0

    @Flag(name: .long, help: "Run CPU jobs at Linux's idle scheduling priority (SCHED_IDLE), on top of --nice: they use only CPU time nothing else wants, so an API on the same machine answers at once under full load.")
    var idlePriority = false

    @Option(name: .long, help: "Replace a worker process after it ran this many jobs.")
    var maxJobsPerChild: Int?

    @Option(name: .long, help: "Replace a worker process once its memory passes this many MiB after a job.")
    var maxMemoryPerChild: Int?

    @Flag(name: .long, help: .hidden)
    var child = false

    /// Refuses flag values out of their ranges, with a usage error.
    public func validate() throws {
        guard (1...256).contains(processes) else { throw ValidationError("--processes must be in 1...256") }
        guard (0...19).contains(nice) else { throw ValidationError("--nice must be in 0...19") }
        if let maxJobsPerChild, maxJobsPerChild < 1 { throw ValidationError("--max-jobs-per-child must be at least 1") }
        if let maxMemoryPerChild, maxMemoryPerChild < 1 { throw ValidationError("--max-memory-per-child must be at least 1") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be in 1...1024") }
        guard (0...1000).contains(prefetchMs) else { throw ValidationError("--prefetch-ms must be in 0...1000") }
        guard (0...60_000).contains(progressMs) else { throw ValidationError("--progress-ms must be in 0...60000") }
        guard ioConcurrency >= 1 else { throw ValidationError("--io-concurrency must be at least 1") }
        guard graceSeconds >= 0 else { throw ValidationError("--grace-seconds must not be negative") }
        guard BrokerSettings.leaseRange.contains(leaseMs) else { throw ValidationError("--lease-ms must be in \(BrokerSettings.leaseRange)") }
        do {
            for queue in try QueueWeight.parseList(queues) { try Validation.checkQueueName(queue.name, field: "--queues") }
        } catch let error as WorkerConfigurationError {
            throw ValidationError(error.description)
        } catch let error as OffloadError {
            throw ValidationError(error.message)
        }
    }

    private func run(registry: JobRegistry) async throws {
        OffloadLogging.bootstrap()
        let logger = Logger(label: "offload.worker")

        var settings = BrokerSettings()
        settings.defaultLeaseMilliseconds = leaseMs
        try replication.apply(to: &settings)
        let broker: Broker
        do {
            broker = try redis.connectBroker(settings: settings, logger: logger)
        } catch {
            throw ValidationError(error.message)  // a bad --redis-url: usage, exit code 64
        }

        if !child {
            try await runSupervisor(broker: broker, logger: logger)
            await broker.shutdown()
            return
        }
        // A child dies with its supervisor, even when the supervisor is SIGKILLed.
        _ = offload_set_parent_death_signal(SIGKILL)
        if let parent = ProcessInfo.processInfo.environment["OFFLOAD_SUPERVISOR_PID"].flatMap(Int32.init), getppid() != parent {
            return  // the supervisor died before the line above took effect
        }

        var configuration = WorkerConfiguration()
        configuration.queues = try QueueWeight.parseList(queues)
        configuration.strictOrder = strict
        configuration.concurrency = concurrency
        configuration.ioConcurrency = ioConcurrency
        configuration.idleSchedulingForJobs = idlePriority
        configuration.jobThreadNice = nice
        configuration.prefetchWindow = .microseconds(Int(prefetchMs * 1000))
        configuration.progressInterval = .milliseconds(progressMs)
        configuration.gracePeriod = .seconds(graceSeconds)
        configuration.maxJobsPerChild = maxJobsPerChild
        configuration.maxMemoryPerChildMB = maxMemoryPerChild

        let runtime = WorkerRuntime(
            broker: broker, registry: registry, configuration: configuration,
            logger: logger, reportChannel: WorkerReportChannel.fromEnvironment())
        // The runtime returns on its own when it recycles: a clean exit, which the
        // supervisor answers with a fresh process at once (a failure would back off).
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: runtime, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: Self.stopSignals, logger: logger))
        try await group.run()
        await broker.shutdown()
    }

    /// Each drains and stops gracefully. SIGHUP too: a closed terminal or an SSH session that
    /// ends must not kill running jobs outright (the children would be SIGKILLed with their
    /// supervisor, leaving their jobs to wait out their leases).
    static let stopSignals: [UnixSignal] = [.sigterm, .sigint, .sighup]

    /// The parent process: spawns `--processes` children of this same executable.
    private func runSupervisor(broker: Broker, logger: Logger) async throws {
        setenv("OFFLOAD_SUPERVISOR_PID", String(getpid()), 1)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var configuration = SupervisorConfiguration(executablePath: executable, childArguments: Array(CommandLine.arguments.dropFirst()) + ["--child"])
        configuration.processes = processes
        configuration.niceness = nice
        configuration.gracePeriod = .seconds(graceSeconds)
        configuration.relayChildOutputAsJSON = OffloadLogging.isJSON
        let supervisor = WorkerSupervisor(broker: broker, configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [supervisor], gracefulShutdownSignals: Self.stopSignals, logger: logger))
        // The first stop signal drains (the group's graceful shutdown); a second one, like
        // Celery's second Ctrl-C, stops at once. Both handlers see every signal.
        let signals = await UnixSignalsSequence(trapping: Self.stopSignals)
        let secondSignal = Task {
            var seen = 0
            for await signal in signals {
                seen += 1
                guard seen >= 2 else { continue }
                logger.warning("second stop signal: stopping now", metadata: ["signal": "\(signal)"])
                supervisor.stopNow()
            }
        }
        defer { secondSignal.cancel() }
        try await group.run()
    }
}
