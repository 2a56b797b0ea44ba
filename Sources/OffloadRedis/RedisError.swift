/// Everything the Redis client can fail with. Callers map these once: the API to
/// 503/500-free statuses, the CLI to exit code 4, the worker to reconnect-and-retry.
package enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made (refused, unreachable, connect timeout, handshake failed).
    case unavailable(String)
    /// The connection dropped while the command was in flight; its effect is unknown.
    case connectionClosed
    /// No reply within the command timeout; the connection was closed to resynchronise.
    case timeout
    /// Redis answered with an error reply (`ERR ...`, `NOSCRIPT ...`, `WRONGTYPE ...`).
    case server(String)
    /// The byte stream is not valid RESP.
    case protocolError(String)
    /// `REDIS_URL` cannot be parsed.
    case invalidURL(String)
    /// The reply had a shape the caller did not expect.
    case unexpectedReply(String)
    /// A command whose keys hash to different cluster slots, refused before it was sent.
    case crossSlot(String)

    /// True when Redis could not be reached or stopped answering: worth a retry later.
    package var isUnavailable: Bool {
        switch self {
        case .unavailable, .connectionClosed, .timeout: return true
        default: return false
        }
    }

    /// The connection was already closed, so the command never left this process.
    static let notSent = RedisError.unavailable("connection closed before the command was sent")

    package var description: String {
        switch self {
        case .unavailable(let reason): return "Redis unavailable: \(reason)"
        case .connectionClosed: return "Redis connection closed"
        case .timeout: return "Redis command timed out"
        case .server(let message): return "Redis error: \(message)"
        case .protocolError(let reason): return "Redis protocol error: \(reason)"
        case .invalidURL(let reason): return "invalid Redis URL: \(reason)"
        case .unexpectedReply(let reason): return "unexpected Redis reply: \(reason)"
        case .crossSlot(let reason): return "cross-slot command refused: \(reason)"
        }
    }
}
