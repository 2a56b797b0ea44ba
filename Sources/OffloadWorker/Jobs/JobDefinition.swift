import Logging
import OffloadCore

/// A kind of job: a static name, `Codable` input and output. Conform to ``CPUJob`` or
/// ``IOJob`` to say how it runs.
public protocol JobDefinition: Sendable {
    associatedtype Input: Decodable & Sendable
    associatedtype Output: Encodable & Sendable
    /// What clients put in `"type"`, e.g. `count-primes`.
    static var name: String { get }
    /// Hard limit of one run unless the job says otherwise; nil means none.
    static var defaultTimeoutSeconds: Int? { get }
}

extension JobDefinition {
    public static var defaultTimeoutSeconds: Int? { nil }
}

/// CPU-bound work: synchronous, run on a dedicated worker thread, never on the Swift
/// concurrency pool or an event loop. Long loops should call
/// `context.checkCancellation()` now and then so cancellation and soft timeouts work.
public protocol CPUJob: JobDefinition {
    func run(_ input: Input, context: JobContext) throws -> Output
}

/// I/O-bound work (HTTP calls, webhooks): `async`, many run at once without holding a
/// thread. Must not do CPU-heavy loops.
public protocol IOJob: JobDefinition {
    func run(_ input: Input, context: JobContext) async throws -> Output
}

/// Throw this for failures a retry cannot fix (bad input): the job goes to dead at once.
public struct PermanentJobError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by `JobContext.checkCancellation()` once the job is cancelled or past its soft timeout.
public struct JobCancelledError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
