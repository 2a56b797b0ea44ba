import Logging
import Offload

/// The steps around one handler run, CPU or I/O alike: set up (registered as running, its
/// heartbeat scheduled, progress forwarded), start its clocks when the handler starts (the
/// supervisor times the hard timeout, the watchdog the soft one), stop the hard timeout when
/// it returns, and tear down into an outcome.
final class JobRunSteps: Sendable {
    /// A job between its setup and its outcome: counted as running (and heartbeated) until
    /// the `OutcomeStore` has its outcome in Redis.
    struct Run: Sendable {
        let job: ClaimedJob
        let context: JobContext
        let progress: ProgressForwarder
    }

    typealias Ran = (result: Result<String, any Error>, took: Duration)

    private let broker: Broker
    private let running: RunningJobs
    private let duties: DutyTimer
    private let outcomes: OutcomeStore
    private let reportChannel: WorkerReportChannel?
    private let progressInterval: Duration
    private let clock: AnyClock
    private let logger: Logger

    init(
        broker: Broker, running: RunningJobs, duties: DutyTimer, outcomes: OutcomeStore, reportChannel: WorkerReportChannel?,
        progressInterval: Duration, clock: AnyClock, logger: Logger
    ) {
        self.broker = broker
        self.running = running
        self.duties = duties
        self.outcomes = outcomes
        self.reportChannel = reportChannel
        self.progressInterval = progressInterval
        self.clock = clock
        self.logger = logger
    }

    /// Registers the job as running, with progress reporting. Its clocks start later, in
    /// `startClocks`, when its handler starts: a job waiting behind others in a batch does
    /// not spend its timeout there.
    func setUp(_ job: ClaimedJob) -> Run {
        outcomes.expectOutcome()
        // Progress goes out in order, and before the job's completion.
        let progress = ProgressForwarder(broker: broker, job: job, interval: progressInterval, clock: clock)
        let context = JobContext(job: job, logger: logger) { percent, message in progress.report(percent: percent, message: message) }
        duties.schedule(running.add(job, context: context, at: clock.now))
        return Run(job: job, context: context, progress: progress)
    }

    /// Right before the handler, on whatever thread runs it: the supervisor learns the job
    /// started (and times its hard timeout from now), and its soft timeout starts (the
    /// watchdog ends it).
    func startClocks(_ run: Run) {
        let job = run.job
        reportChannel?.send(
            .started(
                queue: job.queue, id: job.id, token: job.token, attempt: job.attempt, maxAttempts: job.maxAttempts,
                timeoutSeconds: job.timeoutSeconds, leaseMilliseconds: job.leaseMilliseconds))
        if let seconds = job.timeoutSeconds {
            let deadline = clock.now + .milliseconds(seconds * 900)
            running.setSoftDeadline(deadline, of: job.id)
            duties.schedule(deadline)
        }
    }

    /// Runs a CPU handler on the job thread that calls it, between its clocks; how long it took.
    func runOnThisThread(_ run: Run, body: @Sendable (String, JobContext) throws -> String) -> Ran {
        startClocks(run)
        let began = clock.now
        let result = Result { try body(run.job.payload, run.context) }
        stopHardTimeout(run.job)
        return (result, clock.now - began)
    }

    /// Right after the handler returns, on its thread: the supervisor stops timing the job.
    /// The rest of its batch and the storing of its outcome (slow when Redis is busy) are
    /// not the handler hanging, and must not cost the process.
    func stopHardTimeout(_ job: ClaimedJob) {
        if job.timeoutSeconds != nil { reportChannel?.send(.ran(id: job.id)) }
    }

    func tearDown(_ run: Run, _ result: Result<String, any Error>) async -> JobOutcome {
        if run.job.timeoutSeconds != nil { running.setSoftDeadline(nil, of: run.job.id) }
        let outcome: JobOutcome
        switch result {
        case .success(let resultJSON): outcome = .success(resultJSON)
        case .failure(let error): outcome = JobOutcome(error: error, context: run.context)
        }
        await run.progress.finish()
        return outcome
    }
}
