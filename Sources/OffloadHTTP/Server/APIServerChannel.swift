import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel with `HTTP1ConnectionHandler` right after NIO's request
/// decoder, where it sees the parser's errors before anything else does.
struct APIServerChannel: ServerChildChannel {
    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTP1ConnectionHandler(), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// The server `buildApplication` runs: HTTP/1 with `APIServerChannel`.
    static var api: HTTPServerBuilder {
        HTTPServerBuilder { responder in APIServerChannel(http1: HTTP1Channel(responder: responder)) }
    }
}
