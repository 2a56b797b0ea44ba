import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The Redis client every Offload process uses: a small pool of pipelined connections
/// on SwiftNIO, reconnecting on demand, plus dedicated connections for blocking commands.
package final class RedisClient: Sendable {
    package let configuration: RedisConfiguration
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let slots: [RedisConnectionSlot]
    private let nextSlot = NIOLockedValueBox(0)
    private let scriptHashes = NIOLockedValueBox([String: String]())

    package init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "offload.redis")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.slots = (0..<max(1, configuration.poolSize)).map { _ in
            RedisConnectionSlot(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
    }

    package convenience init(url: String, logger: Logger = Logger(label: "offload.redis")) throws(RedisError) {
        self.init(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    private func pooledConnection() async throws(RedisError) -> RedisConnection {
        let index = nextSlot.withLockedValue { next in
            defer { next = (next + 1) % slots.count }
            return next
        }
        return try await slots[index].connection()
    }

    /// Sends one command on a pooled connection; error replies throw ``RedisError/server(_:)``.
    @discardableResult
    package func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        try await withRetryOnStaleConnection { connection throws(RedisError) in try await connection.send(command) }
    }

    @discardableResult
    package func send(_ arguments: RedisArgument...) async throws(RedisError) -> RESPValue {
        try await send(RedisCommand(arguments))
    }

    /// Sends commands in one write on one connection; replies (errors included) in order.
    package func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
        try await withRetryOnStaleConnection { connection throws(RedisError) in try await connection.pipeline(commands) }
    }

    /// A connection that was open when taken may have died since (Redis restarted and
    /// the close was not yet seen). Such a command was never sent; try it once more on a
    /// fresh connection.
    private func withRetryOnStaleConnection<T>(
        _ body: (RedisConnection) async throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let connection = try await pooledConnection()
        do {
            return try await body(connection)
        } catch .unavailable where !connection.isActive {
            return try await body(try await pooledConnection())
        }
    }

    /// Runs a script with `EVALSHA`, loading it first if this client has not yet, and
    /// again when Redis has forgotten it (`NOSCRIPT`).
    @discardableResult
    package func run(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws(RedisError) -> RESPValue {
        let reply = try await pipeline([try await scriptCommand(script, keys: keys, arguments: arguments)])[0]
        if case .error(let message) = reply {
            guard message.hasPrefix("NOSCRIPT") else { throw .server(message) }
            _ = try await load(script)
            return try await send(try await scriptCommand(script, keys: keys, arguments: arguments))
        }
        return reply
    }

    /// The `EVALSHA` command for a script, for callers that pipeline several script
    /// calls in one round trip. Replies of `NOSCRIPT` there call for ``reloadScripts(_:)``.
    package func scriptCommand(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws(RedisError) -> RedisCommand {
        let sha = try await scriptHash(script)
        var argv: [RedisArgument] = ["EVALSHA", .string(sha), .int(keys.count)]
        argv.reserveCapacity(3 + keys.count + arguments.count)
        for key in keys { argv.append(.string(key)) }
        argv.append(contentsOf: arguments)
        return RedisCommand(argv)
    }

    package func reloadScripts(_ scripts: [RedisScript]) async throws(RedisError) {
        for script in scripts { _ = try await load(script) }
    }

    private func scriptHash(_ script: RedisScript) async throws(RedisError) -> String {
        if let sha = scriptHashes.withLockedValue({ $0[script.name] }) { return sha }
        return try await load(script)
    }

    private func load(_ script: RedisScript) async throws(RedisError) -> String {
        guard let sha = try await send("SCRIPT", "LOAD", .string(script.source)).string else {
            throw .unexpectedReply("SCRIPT LOAD of \(script.name) returned no hash")
        }
        scriptHashes.withLockedValue { $0[script.name] = sha }
        return sha
    }

    /// A connection of its own, for blocking commands (`BLPOP`, `BZPOPMIN`, ...) that
    /// would otherwise hold up every command pipelined behind them.
    package func makeDedicatedConnection() -> RedisDedicatedConnection {
        RedisDedicatedConnection(
            slot: RedisConnectionSlot(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        )
    }

    package func shutdown() async {
        for slot in slots { await slot.shutdown() }
    }
}

/// A connection outside the pool that reopens itself like a pooled one.
package final class RedisDedicatedConnection: Sendable {
    private let slot: RedisConnectionSlot

    init(slot: RedisConnectionSlot) { self.slot = slot }

    /// `timeout` should exceed the command's own blocking time.
    package func send(_ command: RedisCommand, timeout: Duration) async throws(RedisError) -> RESPValue {
        try await slot.connection().send(command, timeout: timeout)
    }

    package func shutdown() async {
        await slot.shutdown()
    }
}
