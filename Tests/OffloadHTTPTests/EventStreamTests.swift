import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Offload
import OffloadTestSupport
import Testing

@testable import OffloadHTTP

/// `GET /v1/jobs/{id}/events` on the real application against a real Redis, read chunk by
/// chunk as the route writes them.
@Suite(.timeLimit(.minutes(1))) struct EventStreamTests {
    /// A job nobody runs has nothing to report for as long as it waits; proxies cut
    /// connections that stay silent (often after 60 s), so the stream sends a comment line
    /// each keepalive interval while it is idle.
    @Test func idleStreamsSendKeepaliveComments() async throws {
        #expect(APIConfiguration().http.eventStreamKeepalive == .seconds(15))
        // No worker serves this queue: the job waits until the test cancels it.
        let (inspector, id, chunks, writing) = try await Self.followAWaitingJob(keepalive: .milliseconds(100))

        // Without keepalives the stream would wait for the job for ever: the deadline bounds
        // that hang, far past the 100 ms keepalives a loaded machine writes late.
        let deadline = Task {
            try await Task.sleep(for: .seconds(30))
            _ = try await inspector.cancel(id)
        }
        defer { deadline.cancel() }
        var written: [String] = []
        for await chunk in chunks {
            written.append(chunk)
            // Nothing else happens, so after the state come only keepalives until the cancel.
            if written.count == 4 { _ = try await inspector.cancel(id) }
        }
        try await writing.value
        #expect(written.first?.hasPrefix("event: state") == true, "\(written)")
        #expect(written.dropFirst().prefix(3).allSatisfy { $0 == ": keepalive\n\n" }, "\(written)")
        #expect(written.contains { $0.hasPrefix("event: state") && $0.contains(#""state":"cancelled""#) }, "\(written)")
        #expect(written.last?.hasPrefix("event: end") == true, "\(written)")
    }

    /// A job purged while a client follows it: the stream says the job is gone with an
    /// `error` event before its `end`, so the end is not taken for a finished job.
    @Test func aPurgedJobsStreamEndsWithAnErrorEvent() async throws {
        let (inspector, _, chunks, writing) = try await Self.followAWaitingJob()
        var written: [String] = []
        for await chunk in chunks {
            written.append(chunk)
            if written.count == 1 {
                try await Task.sleep(for: .milliseconds(300))  // the watcher registers
                #expect(try await inspector.purge(queue: "idle", state: .pending) == 1)
            }
        }
        try await writing.value
        #expect(written.first?.hasPrefix("event: state") == true, "\(written)")
        #expect(written.dropLast().last?.hasPrefix("event: error") == true && written.dropLast().last?.contains("not_found") == true, "\(written)")
        #expect(written.last?.hasPrefix("event: end") == true, "\(written)")
    }

    /// A job in a queue no worker serves, and its event stream as the route writes it.
    static func followAWaitingJob(keepalive: Duration = .seconds(15)) async throws
        -> (Inspector, String, AsyncStream<String>, Task<Void, any Error>)
    {
        var configuration = APIConfiguration()
        configuration.redisURL = TestRedis.url
        configuration.keyPrefix = TestRedis.uniquePrefix("events")
        configuration.http.eventStreamKeepalive = keepalive
        var settings = BrokerSettings()
        settings.keyPrefix = configuration.keyPrefix
        let inspector = Inspector(broker: Broker(redis: try TestRedis.makeClient(), settings: settings))
        let id = try await inspector.broker.submit(JobSubmission(type: "test.noop", queue: "idle", allowUnknownType: true)).id
        let response = try await Self.get("/v1/jobs/\(id)/events", from: try buildApplication(configuration: configuration))
        let (chunks, sink) = AsyncStream.makeStream(of: String.self)
        let writing = Task { try await response.body.write(ChunkWriter(sink: sink)) }
        return (inspector, id, chunks, writing)
    }

    /// The application's response, its body not written yet.
    static func get(_ path: String, from app: some ApplicationProtocol) async throws -> Response {
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path), body: RequestBody(buffer: ByteBuffer()))
        return try await respond(to: request, app: app)
    }

    static func respond<App: ApplicationProtocol>(to request: Request, app: App) async throws -> Response {
        let context = App.Context(source: .init(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        return try await app.responder.respond(to: request, context: context)
    }

    /// The chunks of a response body, as they are written.
    struct ChunkWriter: ResponseBodyWriter {
        let sink: AsyncStream<String>.Continuation

        mutating func write(_ buffer: ByteBuffer) async throws {
            sink.yield(String(buffer: buffer))
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
            sink.finish()
        }
    }
}
