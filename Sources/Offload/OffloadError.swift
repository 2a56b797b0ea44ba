import OffloadRedis

/// The one error type of Offload's engine: what went wrong in queue terms, never in HTTP's
/// or a shell's. The API maps `code` to an HTTP status once (`OffloadHTTP/Errors`), the CLI
/// to an exit code once; the HTTP API adds the codes of HTTP itself (a body that is not
/// JSON, a wrong method, a missing token) on its own side.
public struct OffloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure; the API answers with the same codes.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// A field has a value outside its rules (``OffloadError/field`` names it).
        case invalid = "invalid_argument"
        /// No worker has published this job type.
        case unknownJobType = "unknown_job_type"
        /// No such job, queue or schedule.
        case notFound = "not_found"
        /// The job is in a state that does not allow the action.
        case conflict
        /// The queue is at its max depth; try again later.
        case queueFull = "queue_full"
        /// Redis cannot be reached or did not answer in time.
        case unavailable = "redis_unavailable"
        /// The worker no longer holds the job's lease (it expired or the job was cancelled).
        case leaseLost = "lease_lost"
        /// A broken invariant: a bug, never bad input.
        case internalError = "internal_error"
    }

    /// The failure's kind.
    public let code: Code
    /// For ``Code/invalid``: the field whose value broke its rule, named as in the API's
    /// JSON (`delay_seconds`); nil when the rule is about the request as a whole. Each
    /// front end names it its own way: the CLI as the flag the user typed.
    public let field: String?
    /// What went wrong; with a ``field``, the rule it broke (`must be in 1...10`).
    public let reason: String
    /// For `queueFull` and `unavailable`: when a client should try again.
    public var retryAfterSeconds: Int?

    /// A failure that names no field.
    package init(_ code: Code, _ reason: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.field = nil
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `field`'s value breaks the rule `reason` ("must be in 1...10").
    package init(invalid field: String, _ reason: String) {
        self.code = .invalid
        self.field = field
        self.reason = reason
        self.retryAfterSeconds = nil
    }

    private init(code: Code, field: String?, reason: String, retryAfterSeconds: Int?) {
        self.code = code
        self.field = field
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The sentence a user reads: the field's name and its rule, or the reason alone.
    public var message: String { field.map { "\($0) \(reason)" } ?? reason }

    /// The same error with its field named as a front end names it (`--delay` for
    /// `delay_seconds`); a field not in `names` keeps its name.
    package func namingField(_ names: [String: String]) -> OffloadError {
        guard let field, let name = names[field] else { return self }
        return OffloadError(code: code, field: name, reason: reason, retryAfterSeconds: retryAfterSeconds)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension OffloadError {
    /// Redis failures as Offload errors: an outage is `unavailable`, anything else is a bug.
    package init(_ error: RedisError) {
        if error.isUnavailable {
            self.init(.unavailable, error.description, retryAfterSeconds: 1)
        } else {
            self.init(.internalError, error.description)
        }
    }
}
