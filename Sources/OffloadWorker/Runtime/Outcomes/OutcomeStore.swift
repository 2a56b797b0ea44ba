import Logging
import NIOConcurrencyHelpers
import Offload

/// Gets each run's outcome into Redis without holding up the job slots: results ride the
/// next batch (`CompletionBatcher`); failures, and results Redis could not take, are stored
/// one by one, retried while Redis is briefly away. Once stored (or given up) the job is no
/// longer this worker's: it leaves the running table and the supervisor hears it ended.
final class OutcomeStore: Sendable {
    private let broker: Broker
    private let completions: CompletionBatcher
    private let running: RunningJobs
    private let recycling: RecyclingPolicy
    private let reportChannel: WorkerReportChannel?
    private let clock: AnyClock
    private let logger: Logger
    /// Jobs started and not yet finished storing their outcome (counted, never limited).
    private let inFlight = WorkSlots(capacity: Int.max / 2)
    private let counters = NIOLockedValueBox((processed: 0, failed: 0))

    init(
        broker: Broker, running: RunningJobs, recycling: RecyclingPolicy, reportChannel: WorkerReportChannel?, clock: AnyClock,
        logger: Logger
    ) {
        self.broker = broker
        self.completions = CompletionBatcher(broker: broker)
        self.running = running
        self.recycling = recycling
        self.reportChannel = reportChannel
        self.clock = clock
        self.logger = logger
    }

    /// Jobs run to completion and runs that failed, since the worker started.
    var totals: (processed: Int, failed: Int) { counters.withLockedValue { $0 } }

    /// A job started: its outcome is awaited from now on (`waitUntilAllStored`).
    func expectOutcome() {
        _ = inFlight.take(upTo: 1)
    }

    /// Returns once every outcome expected so far is stored (or given up), or when the task
    /// is cancelled.
    func waitUntilAllStored() async {
        await inFlight.waitUntilIdle()
    }

    /// Stores the outcome without holding up the caller: results go in the next batch;
    /// failures, and results Redis could not take, go through `finish` and its retries.
    func store(_ job: ClaimedJob, _ outcome: JobOutcome) {
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
                self.logLostBeforeCompletion(job)
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
        running.remove(job.id)
        inFlight.release()
        reportChannel?.send(.ended(id: job.id))
        recycling.jobEnded()
    }

    /// Stores the outcome, retrying while Redis is briefly away: the result of a finished
    /// run should not be thrown away over a blip.
    func finish(_ job: ClaimedJob, outcome: JobOutcome) async {
        var delay = Duration.milliseconds(100)
        for attempt in 1...30 {
            do {
                switch outcome {
                case .success(let resultJSON):
                    if try await completions.complete(job, resultJSON: resultJSON) {
                        counters.withLockedValue { $0.processed += 1 }
                    } else {
                        logLostBeforeCompletion(job)
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
                try? await clock.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            } catch {
                logger.error("could not store the job's outcome; its lease will expire and it will run again", metadata: ["job": "\(job.id)", "error": "\(error)"])
                return
            }
        }
    }

    private func logLostBeforeCompletion(_ job: ClaimedJob) {
        logger.warning("lease lost before completion; result discarded (another run owns the job)", metadata: ["job": "\(job.id)"])
    }
}
