import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One socket to Redis. Any number of callers may send concurrently: their commands are
/// pipelined and their replies matched in order. Never blocks a thread: every call
/// suspends on an event-loop future.
package final class RedisConnection: Sendable {
    let channel: any Channel
    private let commandTimeout: TimeAmount
    private let outbox = NIOLockedValueBox(Outbox())

    private struct PendingWrite: Sendable {
        var bytes: ByteBuffer
        var replyCount: Int
        var deadline: NIODeadline
        var continuation: UnsafeContinuation<[RESPValue], any Error>
    }

    private struct Outbox: Sendable {
        var pending: [PendingWrite] = []
        var drainScheduled = false
    }

    private init(channel: any Channel, commandTimeout: TimeAmount) {
        self.channel = channel
        self.commandTimeout = commandTimeout
    }

    package var isActive: Bool { channel.isActive }

    /// Opens a socket, then authenticates and selects the database if the configuration asks.
    /// `onPush` receives what the server sends unasked (after `SUBSCRIBE`).
    package static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        logger: Logger,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        let tlsContext: NIOSSLContext?
        if configuration.useTLS {
            do {
                tlsContext = try NIOSSLContext(configuration: .makeClientConfiguration())
            } catch {
                throw .unavailable("TLS setup failed: \(error)")
            }
        } else {
            tlsContext = nil
        }
        let host = configuration.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: host.first?.isLetter == true ? host : nil)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(onPush: onPush))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .unavailable("cannot connect to \(configuration.nodeAddress): \(error)")
        }
        let connection = RedisConnection(channel: channel, commandTimeout: TimeAmount(configuration.commandTimeout))
        do {
            try await connection.handshake(configuration)
        } catch {
            await connection.close()
            switch error {
            case .server(let message): throw .unavailable("handshake with \(configuration.nodeAddress) refused: \(message)")
            default: throw error
            }
        }
        logger.debug("redis connected", metadata: ["redis": "\(configuration.nodeAddress)"])
        return connection
    }

    private func handshake(_ configuration: RedisConfiguration) async throws(RedisError) {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RedisCommand("AUTH", .string(username), .string(password)))
            } else {
                commands.append(RedisCommand("AUTH", .string(password)))
            }
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", .int(configuration.database)))
        }
        if configuration.requirePrimaryRole {
            commands.append(RedisCommand("ROLE"))
        }
        guard !commands.isEmpty else { return }
        let replies = try await pipeline(commands)
        for reply in replies {
            if case .error(let message) = reply { throw .server(message) }
        }
        // A server that was the primary when the sentinels were asked may have been
        // demoted since; writes to it would fail with READONLY, or worse, be lost.
        if configuration.requirePrimaryRole, let role = replies.last?.array?.first?.string, role != "master" {
            throw .unavailable("\(configuration.nodeAddress) is a \(role), not the primary")
        }
    }

    /// Sends one command; an error reply is thrown as ``RedisError/server(_:)``.
    package func send(_ command: RedisCommand, timeout: Duration? = nil) async throws(RedisError) -> RESPValue {
        let replies = try await write(command.encoded(), replyCount: 1, timeout: timeout)
        if case .error(let message) = replies[0] { throw .server(message) }
        return replies[0]
    }

    /// Sends several commands in one write and returns their replies in order; error
    /// replies stay values, one per command.
    package func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws(RedisError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var buffer = ByteBuffer()
        for command in commands { command.encode(into: &buffer) }
        return try await write(buffer, replyCount: commands.count, timeout: timeout)
    }

    private func write(_ bytes: ByteBuffer, replyCount: Int, timeout: Duration?) async throws(RedisError) -> [RESPValue] {
        let deadline = NIODeadline.now() + (timeout.map(TimeAmount.init) ?? commandTimeout)
        do {
            return try await withUnsafeThrowingContinuation { continuation in
                enqueue(PendingWrite(bytes: bytes, replyCount: replyCount, deadline: deadline, continuation: continuation))
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .connectionClosed
        }
    }

    /// Queues a command for the event loop. Only the first command queued since the last
    /// drain schedules a task, so concurrent callers share one hop and one flush.
    private func enqueue(_ write: PendingWrite) {
        let eventLoop = channel.eventLoop
        let scheduleDrain = outbox.withLockedValue { outbox in
            outbox.pending.append(write)
            defer { outbox.drainScheduled = true }
            return !outbox.drainScheduled
        }
        if eventLoop.inEventLoop {
            drain()
        } else if scheduleDrain {
            eventLoop.execute { self.drain() }
        }
    }

    /// On the event loop: writes everything queued, then flushes once (one syscall).
    private func drain() {
        var batch: [PendingWrite] = []
        outbox.withLockedValue { outbox in
            swap(&batch, &outbox.pending)
            outbox.drainScheduled = false
        }
        guard !batch.isEmpty else { return }
        // A write into a closed channel never reaches the handler, which answers every
        // request it sees: fail the callers here. Closing happens on this loop, so the
        // channel stays open while the batch is written.
        guard channel.isActive else {
            for item in batch { item.continuation.resume(throwing: RedisError.notSent) }
            return
        }
        let pipeline = channel.pipeline.syncOperations
        for item in batch {
            let request = RedisRequest(bytes: item.bytes, replyCount: item.replyCount, caller: item.continuation, deadline: item.deadline)
            pipeline.write(NIOAny(request), promise: nil)
        }
        pipeline.flush()
    }

    package func close() async {
        try? await channel.close()
    }
}

extension RedisRequest: @unchecked Sendable {}
