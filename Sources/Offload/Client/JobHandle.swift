import Foundation

/// A submitted job, typed by its definition's `Output`: wait for its result, follow its
/// progress, cancel or retry it. Cheap to copy; it holds only the id and the client.
public struct JobHandle<Output: Decodable & Sendable>: Sendable {
    /// The job's id (`<queue>.<time><random>`), the same the API and CLI use.
    public let id: String
    /// True when this submit made the job; false when its idempotency key returned an
    /// earlier one; nil for a handle made from an id.
    public let created: Bool?
    /// True when the submit's ``UniqueJob`` key was held: this is the holder, and nothing
    /// was enqueued; nil for a handle made from an id.
    public let duplicate: Bool?
    private let client: OffloadClient

    init(id: String, created: Bool?, duplicate: Bool? = nil, client: OffloadClient) {
        self.id = id
        self.created = created
        self.duplicate = duplicate
        self.client = client
    }

    /// The job's output once it completed, waiting up to `timeout` for it to finish (a
    /// job being retried is not finished). Throws ``JobResultError/failed(_:)`` when it
    /// ended dead, ``JobResultError/cancelled`` when cancelled,
    /// ``JobResultError/timedOut(_:)`` when it had not finished in time,
    /// ``JobResultError/undecodableOutput(result:reason:)`` when its stored result is not
    /// an `Output`, and ``JobResultError/offload(_:)`` when Redis is unreachable or the
    /// job unknown.
    public func result(timeout: Duration) async throws(JobResultError) -> Output {
        let record: JobRecord
        do {
            record = try await client.wait(forJob: id, timeout: timeout)
        } catch {
            throw .offload(error)
        }
        switch record.state {
        case .completed:
            let text = record.resultText ?? "null"
            do {
                return try JSONDecoder().decode(Output.self, from: Data(text.utf8))
            } catch {
                throw .undecodableOutput(result: text, reason: "\(error)")
            }
        case .dead: throw .failed(record.error ?? JobError(type: "error", message: "the job died without an error"))
        case .cancelled: throw .cancelled
        default: throw .timedOut(record.state)
        }
    }

    /// Progress reports and state changes until the job finishes (then the sequence ends).
    public var events: AsyncThrowingStream<JobEvent, any Error> { client.events(forJob: id) }

    /// The job as it is now.
    public func info() async throws(OffloadError) -> JobRecord { try await client.job(id) }

    /// See ``OffloadClient/cancel(_:)``.
    @discardableResult
    public func cancel() async throws(OffloadError) -> JobState { try await client.cancel(id) }

    /// See ``OffloadClient/retry(_:)``.
    public func retry() async throws(OffloadError) { try await client.retry(id) }
}
