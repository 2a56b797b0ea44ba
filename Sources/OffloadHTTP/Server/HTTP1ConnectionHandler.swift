import Hummingbird
import NIOCore
import NIOHTTP1
import Offload

/// What Hummingbird leaves to the application on an HTTP/1 connection, seen right after
/// NIO's request decoder (where NIO's own protocol-error handler would sit; Hummingbird
/// leaves it out):
/// - a request the parser refuses (an unknown method, header fields past the decoder's
///   limit) is answered with Offload's JSON error and the status that says why, and the
///   connection closes, instead of a bare 400;
/// - `Expect: 100-continue` gets `100 Continue` as soon as the request is the next to be
///   answered, so the client sends its body at once instead of when its own wait runs out
///   (curl waits 1 s).
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests read and not answered yet, oldest first, each with whether it still waits
    /// for `100 Continue`. A refusal waits for their answers.
    private var unanswered = CircularBuffer<Bool>()
    /// A request's head has come and its end not: a parse error now is in its body, which
    /// the route reading the body hears of.
    private var readingBody = false
    /// The parser's error, answered once no earlier request waits for its answer.
    private var refusal: HTTPParserError?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            readingBody = true
            // HTTP/1.0 has no 1xx answers (RFC 9110 §15.2).
            let http1_1 = head.version.major > 1 || head.version.minor > 0
            unanswered.append(http1_1 && head.headers["expect"].contains { $0.lowercased() == "100-continue" })
            if unanswered.count == 1 { sendContinueIfAwaited(context) }
        case .body:
            // The client did not wait for it; 100 Continue would come after the body.
            if !unanswered.isEmpty { unanswered[unanswered.index(before: unanswered.endIndex)] = false }
        case .end:
            readingBody = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data), !unanswered.isEmpty else { return }
        unanswered.removeFirst()
        if !unanswered.isEmpty {
            sendContinueIfAwaited(context)
        } else if let refusal {
            refuse(refusal, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if refusal != nil, error is ByteToMessageDecoderError { return }  // bytes after the refused ones
        guard let error = error as? HTTPParserError, !readingBody else {
            context.fireErrorCaught(error)
            return
        }
        refusal = error
        if unanswered.isEmpty { refuse(error, context: context) }
    }

    /// For the request answered next, if it waits for it.
    private func sendContinueIfAwaited(_ context: ChannelHandlerContext) {
        guard unanswered.first == true else { return }
        unanswered[unanswered.startIndex] = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
    }

    private func refuse(_ error: HTTPParserError, context: ChannelHandlerContext) {
        let answer = error.apiError
        let status = answer.status
        let body = answer.jsonBody
        let headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
        ])
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(status.code), reasonPhrase: status.reasonPhrase), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
