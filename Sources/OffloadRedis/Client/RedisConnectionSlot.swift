import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Holds at most one live connection and (re)opens it on demand: after Redis restarts,
/// the first command that finds the old socket closed opens a new one. Concurrent
/// callers share one connection attempt.
final class RedisConnectionSlot: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
        case shutDown
    }

    private let state = NIOLockedValueBox(State.idle)
    private let configuration: RedisConfiguration
    private let eventLoop: any EventLoop
    private let logger: Logger

    init(configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    func connection() async throws(RedisError) -> RedisConnection {
        let taken: EventLoopFuture<RedisConnection>? = state.withLockedValue { state in
            switch state {
            case .connected(let connection) where connection.isActive:
                return eventLoop.makeSucceededFuture(connection)
            case .connecting(let future):
                return future
            case .shutDown:
                return nil
            case .idle, .connected:
                let promise = eventLoop.makePromise(of: RedisConnection.self)
                let configuration = self.configuration, eventLoop = self.eventLoop, logger = self.logger
                promise.completeWithTask {
                    try await RedisConnection.connect(configuration: configuration, eventLoop: eventLoop, logger: logger)
                }
                state = .connecting(promise.futureResult)
                return promise.futureResult
            }
        }
        guard let future = taken else { throw .unavailable("client is shut down") }
        do {
            let connection = try await future.get()
            let shutDown = state.withLockedValue { state -> Bool in
                if case .shutDown = state { return true }
                if case .connecting(let pending) = state, pending === future { state = .connected(connection) }
                return false
            }
            if shutDown {
                await connection.close()
                throw RedisError.unavailable("client is shut down")
            }
            return connection
        } catch {
            state.withLockedValue { state in
                if case .connecting(let pending) = state, pending === future { state = .idle }
            }
            throw error as? RedisError ?? .unavailable("\(error)")
        }
    }

    func shutdown() async {
        let current = state.withLockedValue { state -> RedisConnection? in
            defer { state = .shutDown }
            if case .connected(let connection) = state { return connection }
            return nil
        }
        await current?.close()
    }
}
