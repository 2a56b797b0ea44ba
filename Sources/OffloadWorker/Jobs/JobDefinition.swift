import Logging
import Offload

/// A kind of job: a static name, `Codable` input and output. Conform to ``CPUJob`` or
/// ``IOJob`` to say how it runs.
package protocol JobDefinition: Sendable {
    associatedtype Input: Decodable & Sendable
    associatedtype Output: Encodable & Sendable
    /// What clients put in `"type"`, e.g. `count-primes`.
    static var name: String { get }
    /// Hard limit of one run unless the job says otherwise; nil means none.
    static var defaultTimeoutSeconds: Int? { get }
}

extension JobDefinition {
    package static var defaultTimeoutSeconds: Int? { nil }
}

/// CPU-bound work: synchronous, run on a dedicated worker thread, never on the Swift
/// concurrency pool or an event loop. Long loops should call
/// `context.checkCancellation()` now and then so cancellation and soft timeouts work.
package protocol CPUJob: JobDefinition {
    func run(_ input: Input, context: JobContext) throws -> Output
}

/// I/O-bound work (HTTP calls, webhooks): `async`, many run at once without holding a
/// thread. Must not do CPU-heavy loops.
package protocol IOJob: JobDefinition {
    func run(_ input: Input, context: JobContext) async throws -> Output
}

/// Throw this for failures a retry cannot fix (bad input): the job goes to dead at once.
package struct PermanentJobError: Error, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// Thrown by `JobContext.checkCancellation()` once the job is cancelled or past its soft timeout.
package struct JobCancelledError: Error, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }
}
