import Logging
import NIOConcurrencyHelpers
import Offload

/// What a running handler can see and do: its job's identity and attempt, cancellation,
/// progress, a logger. Safe to use from the handler's thread: nothing here blocks.
public final class JobContext: Sendable {
    /// The job's id, as the API and CLI show it.
    public let jobID: String
    /// The queue it was claimed from.
    public let queue: String
    /// 1 on the first run.
    public let attempt: Int
    /// Runs it may take in all; `attempt == maxAttempts` is its last chance.
    public let maxAttempts: Int
    /// The worker's logger with the job's id: made when a handler asks for it, since most
    /// never log and a short job's context should cost nothing extra.
    public var logger: Logger {
        var logger = workerLogger
        logger[metadataKey: "job"] = .string(jobID)
        return logger
    }

    private let workerLogger: Logger

    private let cancellation = NIOLockedValueBox<String?>(nil)
    private let progressSink: @Sendable (Int, String) -> Void

    init(job: ClaimedJob, logger: Logger, progressSink: @escaping @Sendable (Int, String) -> Void) {
        self.jobID = job.id
        self.queue = job.queue
        self.attempt = job.attempt
        self.maxAttempts = job.maxAttempts
        self.workerLogger = logger
        self.progressSink = progressSink
    }

    /// A context for running a handler outside a worker, e.g. in tests: progress goes to
    /// `progress`, and a non-nil `cancelledWith` starts it out cancelled.
    public static func standalone(
        jobID: String = "standalone",
        logger: Logger = Logger(label: "offload.job"),
        cancelledWith reason: String? = nil,
        progress: @escaping @Sendable (Int, String) -> Void = { _, _ in }
    ) -> JobContext {
        let job = ClaimedJob(
            id: jobID, queue: "standalone", type: "standalone", payload: "{}", attempt: 1, maxAttempts: 1,
            timeoutSeconds: nil, leaseMilliseconds: 0, token: "")
        let context = JobContext(job: job, logger: logger, progressSink: progress)
        if let reason { context.cancel(reason: reason) }
        return context
    }

    /// True once the job was cancelled, its soft timeout passed, its lease was lost or the
    /// worker is shutting down past its grace period.
    public var isCancelled: Bool { cancellation.withLockedValue { $0 != nil } }

    /// Throws ``JobCancelledError`` once ``isCancelled``: call it in long loops.
    public func checkCancellation() throws(JobCancelledError) {
        if let reason = cancellation.withLockedValue({ $0 }) { throw JobCancelledError(reason: reason) }
    }

    /// Reports progress (0–100) and a message; stored on the job and streamed to clients.
    /// Returns at once; updates are sent in order in the background.
    public func progress(_ percent: Int, _ message: String = "") {
        progressSink(percent, message)
    }

    var cancellationReason: String? { cancellation.withLockedValue { $0 } }

    func cancel(reason: String) {
        cancellation.withLockedValue { if $0 == nil { $0 = reason } }
    }
}
