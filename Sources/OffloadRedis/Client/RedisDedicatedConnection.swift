import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A connection outside the pool, for one blocking command at a time. It reopens itself
/// like a pooled one, and moves when its command's server changes (a cluster slot that
/// moved, a primary that failed over): a blocked command is not told of such a change,
/// so blocking commands always carry a finite timeout.
package final class RedisDedicatedConnection: Sendable {
    private let router: any RedisRouter
    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let current = NIOLockedValueBox<(endpoint: RedisEndpoint, slot: RedisConnectionSlot)?>(nil)
    private let closed = NIOLockedValueBox(false)

    init(router: any RedisRouter, configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// `timeout` should exceed the command's own blocking time.
    package func send(_ command: RedisCommand, timeout: Duration) async throws(RedisError) -> RESPValue {
        let endpoint = try await router.endpoint(for: command)
        let slot = try slot(for: endpoint)
        do {
            return try await slot.connection().send(command, timeout: timeout)
        } catch .server(let message) where ClusterRedirect(message) != nil {
            await router.reportStale(after: .server(message))
            throw .unavailable("\(command.name) must go elsewhere now (\(message)); try again")
        } catch .unavailable(let reason) {
            await router.reportStale(after: .unavailable(reason))
            throw .unavailable(reason)
        }
    }

    private func slot(for endpoint: RedisEndpoint) throws(RedisError) -> RedisConnectionSlot {
        if closed.withLockedValue({ $0 }) { throw .unavailable("connection is shut down") }
        let (slot, replaced) = current.withLockedValue { current -> (RedisConnectionSlot, RedisConnectionSlot?) in
            if let current, current.endpoint == endpoint { return (current.slot, nil) }
            let slot = RedisConnectionSlot(configuration: configuration.node(endpoint), eventLoop: eventLoopGroup.next(), logger: logger)
            defer { current = (endpoint, slot) }
            return (slot, current?.slot)
        }
        if let replaced { Task { await replaced.shutdown() } }
        return slot
    }

    /// Closes the socket: a command blocked on it ends with ``RedisError/connectionClosed``.
    package func shutdown() async {
        closed.withLockedValue { $0 = true }
        await current.withLockedValue({ $0?.slot })?.shutdown()
    }

    /// Closes the socket but stays usable: the next command opens a new one.
    func interrupt() async {
        let slot = current.withLockedValue { current -> RedisConnectionSlot? in
            defer { current = nil }
            return current?.slot
        }
        await slot?.shutdown()
    }
}
