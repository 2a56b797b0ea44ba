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

    private enum Taken {
        case open(RedisConnection)
        case pending(EventLoopFuture<RedisConnection>)
        case shutDown
    }

    func connection() async throws(RedisError) -> RedisConnection {
        let taken: Taken = state.withLockedValue { state in
            switch state {
            case .connected(let connection) where connection.isActive:
                // Handed out directly: awaiting even a succeeded future hops to the event
                // loop and back, which every command would pay for.
                return .open(connection)
            case .connecting(let future):
                return .pending(future)
            case .shutDown:
                return .shutDown
            case .idle, .connected:
                let promise = eventLoop.makePromise(of: RedisConnection.self)
                let configuration = self.configuration, eventLoop = self.eventLoop, logger = self.logger
                promise.completeWithTask {
                    try await RedisConnection.connect(configuration: configuration, eventLoop: eventLoop, logger: logger)
                }
                state = .connecting(promise.futureResult)
                return .pending(promise.futureResult)
            }
        }
        let future: EventLoopFuture<RedisConnection>
        switch taken {
        case .open(let connection): return connection
        case .pending(let pending): future = pending
        case .shutDown: throw .unavailable("client is shut down")
        }
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
