import Offload

/// How a run ended, as Redis stores it: a result, or an error and what to do next.
enum JobOutcome {
    case success(String)
    case failure(JobError, FailDisposition)

    /// A handler's error: a cancellation for the reason its context gives, a permanent
    /// error straight to dead, anything else retried.
    init(error: any Error, context: JobContext) {
        let reason = context.cancellationReason
        if error is JobCancelledError || error is CancellationError, let reason {
            if reason == CancelReason.cancelled {
                self = .cancelledOnRequest
            } else {
                self = .failure(JobError(type: reason == CancelReason.softTimeout ? "timeout" : "interrupted", message: reason), .retry)
            }
        } else if let permanent = error as? PermanentJobError {
            self = .failure(JobError(type: "permanent", message: permanent.message), .dead)
        } else {
            self = .failure(JobError(type: String(describing: type(of: error)), message: String(describing: error)), .retry)
        }
    }

    static let cancelledOnRequest = JobOutcome.failure(JobError(type: "cancelled", message: CancelReason.cancelled), .cancel)

    static func unknownType(_ type: String) -> JobOutcome {
        .failure(JobError(type: "unknown_job_type", message: "this worker has no handler for '\(type)'"), .retry)
    }
}
