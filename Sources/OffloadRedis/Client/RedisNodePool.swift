import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The pooled connections to one server: `poolSize` pipelined connections taken in turn,
/// each reopened on demand.
final class RedisNodePool: Sendable {
    let endpoint: RedisEndpoint
    /// How long a command may take before its connection counts as dead.
    let commandTimeout: Duration
    private let slots: [RedisConnectionSlot]
    private let nextSlot = NIOLockedValueBox(0)

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.endpoint = configuration.endpoint
        self.commandTimeout = configuration.commandTimeout
        self.slots = (0..<max(1, configuration.poolSize)).map { _ in
            RedisConnectionSlot(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
    }

    /// One command; an error reply is thrown as ``RedisError/server(_:)``.
    func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        try await withRetryOnStaleConnection { connection throws(RedisError) in try await connection.send(command) }
    }

    /// Commands in one write on one connection; replies (errors included) in order.
    /// `timeout` replaces the command timeout (a `WAIT` may take longer by design).
    func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws(RedisError) -> [RESPValue] {
        try await withRetryOnStaleConnection { connection throws(RedisError) in try await connection.pipeline(commands, timeout: timeout) }
    }

    private func connection() async throws(RedisError) -> RedisConnection {
        let index = nextSlot.withLockedValue { next in
            defer { next = (next + 1) % slots.count }
            return next
        }
        return try await slots[index].connection()
    }

    /// A connection that was open when taken may have died since (Redis restarted and
    /// the close was not yet seen). Such a command was never sent; try it once more on a
    /// fresh connection.
    private func withRetryOnStaleConnection<T>(
        _ body: (RedisConnection) async throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let connection = try await connection()
        do {
            return try await body(connection)
        } catch .unavailable where !connection.isActive {
            return try await body(try await self.connection())
        }
    }

    func shutdown() async {
        for slot in slots { await slot.shutdown() }
    }
}
