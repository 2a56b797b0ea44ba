/// Why ``JobHandle/result(timeout:)`` has no output to return.
public enum JobResultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job ended dead: its last run's error, with the handler's error type and message
    /// (`crash` and `timeout` when its process died or was killed).
    case failed(JobError)
    /// The job was cancelled.
    case cancelled
    /// The job had not finished when the wait ended; its state then.
    case timedOut(JobState)
    /// The stored result does not decode into the definition's `Output`, e.g. one written
    /// by a worker built with another version of the definition. `result` is its JSON text.
    case undecodableOutput(result: String, reason: String)
    /// Offload itself failed: Redis unreachable (`redis_unavailable`), the job unknown or
    /// expired (`not_found`), ...
    case offload(OffloadError)

    public var description: String {
        switch self {
        case .failed(let error): return "the job failed: \(error.type): \(error.message)"
        case .cancelled: return "the job was cancelled"
        case .timedOut(let state): return "the job had not finished in time (it is \(state.rawValue))"
        case .undecodableOutput(let result, let reason):
            return "the job's result does not decode as its output type (\(reason)): \(result.prefix(200))"
        case .offload(let error): return error.description
        }
    }
}
