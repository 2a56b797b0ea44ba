import Logging
import Offload

/// A job definition a worker can run: conform to ``CPUJob`` or ``IOJob``, never to this
/// protocol directly. ``OffloadWorkerCommand/main(jobs:)`` takes a list of them.
public protocol RunnableJob: JobDefinition {}

/// CPU-bound work: synchronous, run on a dedicated worker thread, never on the Swift
/// concurrency pool or an event loop. Long loops should call
/// `context.checkCancellation()` now and then so cancellation and soft timeouts work.
public protocol CPUJob: RunnableJob {
    /// Runs one attempt on a worker thread: return the output, or throw to fail it.
    func run(_ input: Input, context: JobContext) throws -> Output
}

/// I/O-bound work (HTTP calls, webhooks): `async`, many run at once without holding a
/// thread. Must not do CPU-heavy loops.
public protocol IOJob: RunnableJob {
    /// Runs one attempt without holding a thread: return the output, or throw to fail it.
    func run(_ input: Input, context: JobContext) async throws -> Output
}

/// Throw this for failures a retry cannot fix (bad input): the job goes to dead at once.
public struct PermanentJobError: Error, CustomStringConvertible {
    /// Why the job cannot succeed; stored as its error.
    public let message: String
    /// A failure no retry can fix.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by `JobContext.checkCancellation()` once the job is cancelled or past its soft timeout.
public struct JobCancelledError: Error, CustomStringConvertible {
    /// Why: `cancelled on request`, `soft timeout reached`, `lease lost` or
    /// `worker shutting down`.
    public let reason: String
    public var description: String { reason }
}
