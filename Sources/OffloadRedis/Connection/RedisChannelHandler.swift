import DequeModule
import NIOCore

/// What the client writes into the channel: encoded commands and the caller waiting for
/// their replies, in order. The handler resumes the caller exactly once, on the loop.
struct RedisRequest {
    var bytes: ByteBuffer
    /// How many replies `bytes` produces (1 for a command, n for a pipeline).
    var replyCount: Int
    var caller: UnsafeContinuation<[RESPValue], any Error>
    var deadline: NIODeadline
}

/// Pipelining handler: requests are written as they come; replies are matched to them
/// in FIFO order, which is how Redis answers. Lives on the channel's event loop only.
///
/// A command timeout closes the connection: once one reply is late, every later reply
/// on the socket would be attributed to the wrong caller.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Waiter {
        var caller: UnsafeContinuation<[RESPValue], any Error>
        var remaining: Int
        var replies: [RESPValue]
        var deadline: NIODeadline
    }

    private let reader = RESPReader()
    private var waiters = Deque<Waiter>()
    /// Receives replies no command asked for: the messages of a subscribed connection.
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(onPush: (@Sendable (RESPValue) -> Void)? = nil) {
        self.onPush = onPush
    }
    private var timeoutCheck: Scheduled<Void>?
    private var closedError: RedisError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if closedError != nil {
            request.caller.resume(throwing: RedisError.notSent)
            promise?.fail(RedisError.notSent)
            return
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(request.replyCount)
        waiters.append(Waiter(caller: request.caller, remaining: request.replyCount, replies: replies, deadline: request.deadline))
        context.write(wrapOutboundOut(request.bytes), promise: promise)
        if timeoutCheck == nil { scheduleTimeoutCheck(context: context, at: request.deadline) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try reader.feed(buffer)
            while let reply = try reader.next() {
                guard !waiters.isEmpty else {
                    guard let onPush else { throw RedisError.protocolError("reply without a pending command") }
                    onPush(reply)
                    continue
                }
                waiters[waiters.startIndex].replies.append(reply)
                waiters[waiters.startIndex].remaining -= 1
                if waiters[waiters.startIndex].remaining == 0 {
                    let waiter = waiters.removeFirst()
                    waiter.caller.resume(returning: waiter.replies)
                }
            }
        } catch {
            failAll(error as? RedisError ?? .protocolError("\(error)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(.connectionClosed, context: context)
    }

    private func failAll(_ error: RedisError, context: ChannelHandlerContext) {
        if closedError == nil { closedError = error }
        timeoutCheck?.cancel()
        timeoutCheck = nil
        let failed = waiters
        waiters.removeAll()
        for waiter in failed { waiter.caller.resume(throwing: error) }
        context.close(promise: nil)
    }

    /// One timer for the whole queue, armed for the oldest request's deadline; cheaper
    /// than a timer per command on the hot path.
    private func scheduleTimeoutCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timeoutCheck = nil
            handler.checkTimeouts(context: context)
        }
    }

    private func checkTimeouts(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        // Deadlines differ (blocking commands wait longer), so find the earliest.
        guard let earliest = waiters.map(\.deadline).min() else { return }
        if earliest <= now {
            failAll(.timeout, context: context)
        } else {
            scheduleTimeoutCheck(context: context, at: earliest)
        }
    }
}
