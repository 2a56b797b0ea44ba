import Foundation
import NIOConcurrencyHelpers
import OffloadRedis

/// Something that happened to a watched job.
public enum JobEvent: Sendable, Equatable {
    /// The handler reported progress (0-100) and a message.
    case progress(percent: Int, message: String)
    /// The job changed state: the event's name (`started`, `retrying`, `completed`, `dead`,
    /// `cancelled`, ...); read the job for details.
    case changed(event: String)
}

/// Follows the queues' event streams for jobs that HTTP clients wait on (long-poll, SSE).
/// One tail per watched queue, on a connection of its own blocked in `XREAD` — however
/// many clients wait, no thread is held and Redis is not polled.
package final class JobEventWatcher: Sendable {
    private let inspector: Inspector
    private var redis: RedisClient { inspector.broker.redis }

    private typealias Continuation = AsyncThrowingStream<JobEvent, any Error>.Continuation

    private final class Tail: Sendable {
        let connection: RedisDedicatedConnection
        /// The stream position to read after, fetched before the first watcher relies on it.
        let position: Task<String, Never>
        let loop = NIOLockedValueBox<Task<Void, Never>?>(nil)

        init(connection: RedisDedicatedConnection, position: Task<String, Never>) {
            self.connection = connection
            self.position = position
        }
    }

    private struct State {
        var tails: [String: Tail] = [:]
        var watchers: [String: [UUID: Continuation]] = [:]  // job id → watchers
    }

    private let state = NIOLockedValueBox(State())

    package init(inspector: Inspector) {
        self.inspector = inspector
    }

    /// Events of one job until it finishes (then the stream ends).
    package func events(for job: JobRecord) -> AsyncThrowingStream<JobEvent, any Error> {
        events(forJob: job.id, queue: job.queue)
    }

    /// Events of the job `id` of `queue` until it finishes (then the stream ends).
    package func events(forJob id: String, queue: String) -> AsyncThrowingStream<JobEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: JobEvent.self)
        let watchID = UUID()
        continuation.onTermination = { _ in self.unregister(queue: queue, jobID: id, watchID: watchID) }
        Task {
            await self.register(queue: queue, jobID: id, watchID: watchID, continuation: continuation)
            // Subscribed and positioned: anything from now on is seen. Whatever happened
            // before is in the job's current state.
            do {
                let current = try await self.inspector.job(id)
                if current.state.isFinished {
                    continuation.yield(.changed(event: current.state.rawValue))
                    continuation.finish()
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// The job once it has finished, or as it is when `timeout` passes.
    package func waitUntilFinished(_ job: JobRecord, timeout: Duration) async throws(OffloadError) -> JobRecord {
        let events = self.events(for: job)
        // Whichever comes first: the stream ending (the job finished) or the timeout.
        _ = await Delay.withTimeout(timeout) { _ = try? await events.reduce(into: ()) { _, _ in } }
        return try await inspector.job(job.id)
    }

    private func register(queue: String, jobID: String, watchID: UUID, continuation: Continuation) async {
        let tail = state.withLockedValue { state -> Tail in
            state.watchers[jobID, default: [:]][watchID] = continuation
            if let tail = state.tails[queue] { return tail }
            let tail = makeTail(queue: queue)
            state.tails[queue] = tail
            return tail
        }
        _ = await tail.position.value
    }

    private func makeTail(queue: String) -> Tail {
        let key = inspector.broker.keys.queue(queue).events
        let redis = self.redis
        let position = Task<String, Never> {
            // The newest entry now; "0-0" reads from the start of an empty stream.
            let reply = try? await redis.send("XREVRANGE", .string(key), "+", "-", "COUNT", "1")
            return reply?.array?.first?.array?.first?.string ?? "0-0"
        }
        let tail = Tail(connection: redis.makeDedicatedConnection(), position: position)
        tail.loop.withLockedValue { loop in
            loop = Task { await self.follow(key: key, tail: tail, queue: queue) }
        }
        return tail
    }

    /// How long the tail keeps trying while Redis does not answer, before its watchers are
    /// told (a blip passes unnoticed; an outage ends their streams with `unavailable`).
    static let outageLimit: Duration = .seconds(10)

    private func follow(key: String, tail: Tail, queue: String) async {
        var lastID = await tail.position.value
        var failingSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                let reply = try await tail.connection.send(
                    RedisCommand("XREAD", "COUNT", "500", "BLOCK", "2000", "STREAMS", .string(key), .string(lastID)),
                    timeout: .seconds(7))
                failingSince = nil
                for entry in reply.array?.first?.array?.dropFirst().first?.array ?? [] {
                    guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string else { continue }
                    lastID = entryID
                    if let fields = parts[1].fieldMap { dispatch(fields) }
                }
            } catch {
                if Task.isCancelled { return }
                let since = failingSince ?? .now
                failingSince = since
                if ContinuousClock.now - since >= Self.outageLimit {
                    giveUp(tail, queue: queue, error: OffloadError(.unavailable, "lost Redis while following the job's events: \(error)"))
                    return
                }
                try? await Delay.wait(.milliseconds(200))
            }
        }
    }

    /// Ends every stream of the queue with `error`; a watcher that comes later gets a tail
    /// of its own.
    private func giveUp(_ tail: Tail, queue: String, error: OffloadError) {
        let prefix = queue + "."
        let continuations = state.withLockedValue { state in
            if state.tails[queue] === tail { state.tails[queue] = nil }
            return state.watchers.filter { $0.key.hasPrefix(prefix) }.flatMap { Array($0.value.values) }
        }
        for continuation in continuations { continuation.finish(throwing: error) }
        Task { await tail.connection.shutdown() }
    }

    private func dispatch(_ fields: [String: RESPValue]) {
        // A claim's `started` and a batch's `completed` name their jobs in `ids`.
        guard let name = fields["event"]?.string else { return }
        let jobIDs = fields["ids"]?.string.map { $0.split(separator: " ").map(String.init) } ?? fields["id"]?.string.map { [$0] } ?? []
        let event: JobEvent
        if name == "progress" {
            event = .progress(percent: fields["percent"]?.int ?? 0, message: fields["message"]?.string ?? "")
        } else {
            event = .changed(event: name)
        }
        let finished = ["completed", "dead", "cancelled", "purged"].contains(name)
        let continuations = state.withLockedValue { state in
            jobIDs.flatMap { state.watchers[$0].map { Array($0.values) } ?? [] }
        }
        for continuation in continuations {
            continuation.yield(event)
            if finished { continuation.finish() }
        }
    }

    private func unregister(queue: String, jobID: String, watchID: UUID) {
        let idleTail = state.withLockedValue { state -> Tail? in
            state.watchers[jobID]?[watchID] = nil
            if state.watchers[jobID]?.isEmpty == true { state.watchers[jobID] = nil }
            let prefix = queue + "."
            let queueStillWatched = state.watchers.keys.contains { $0.hasPrefix(prefix) }
            guard !queueStillWatched, let tail = state.tails[queue] else { return nil }
            state.tails[queue] = nil
            return tail
        }
        guard let idleTail else { return }
        idleTail.loop.withLockedValue { $0?.cancel() }
        Task { await idleTail.connection.shutdown() }
    }
}
