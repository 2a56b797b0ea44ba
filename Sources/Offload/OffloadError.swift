/// The one error type of Offload's engine and its front ends. The API maps `code` to an
/// HTTP status once (`OffloadHTTP/Errors`); the CLI maps it to an exit code once.
public struct OffloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure; the same codes the HTTP API answers with.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The request is not well-formed (bad JSON, wrong content).
        case malformed = "malformed_request"
        /// A field has a value outside its rules.
        case invalid = "invalid_argument"
        /// No worker has published this job type.
        case unknownJobType = "unknown_job_type"
        case notFound = "not_found"
        /// The path exists but does not answer this HTTP method.
        case methodNotAllowed = "method_not_allowed"
        /// The job is in a state that does not allow the action.
        case conflict
        /// The queue is at its max depth; try again later.
        case queueFull = "queue_full"
        case unauthorized
        case payloadTooLarge = "payload_too_large"
        /// Redis cannot be reached or did not answer in time.
        case unavailable = "redis_unavailable"
        /// The worker no longer holds the job's lease (it expired or the job was cancelled).
        case leaseLost = "lease_lost"
        /// A broken invariant: a bug, never bad input.
        case internalError = "internal_error"
    }

    /// The failure's kind.
    public let code: Code
    /// What went wrong, naming the field or the job.
    public let message: String
    /// For `queueFull` and `unavailable`: when a client should try again.
    public var retryAfterSeconds: Int?

    package init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

import OffloadRedis

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
