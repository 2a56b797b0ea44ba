import Foundation
import Hummingbird
import HummingbirdTesting
import OffloadCore
import OffloadTestSupport
import Testing

@testable import OffloadAPI

/// `GET /v1/jobs/{id}/events` on the real application against a real Redis.
@Suite struct EventStreamTests {
    /// A job nobody runs has nothing to report for as long as it waits; proxies cut
    /// connections that stay silent (often after 60 s), so the stream sends a comment line
    /// each keepalive interval while it is idle.
    @Test func idleStreamsSendKeepaliveComments() async throws {
        var configuration = APIConfiguration()
        configuration.redisURL = TestRedis.url
        configuration.keyPrefix = TestRedis.uniquePrefix("events")
        configuration.eventStreamKeepalive = .milliseconds(200)
        #expect(APIConfiguration().eventStreamKeepalive == .seconds(15))
        var settings = BrokerSettings()
        settings.keyPrefix = configuration.keyPrefix
        let inspector = Inspector(broker: Broker(redis: try TestRedis.makeClient(), settings: settings))
        // No worker serves this queue: the job waits until the test cancels it.
        let id = try await inspector.broker.submit(JobSubmission(type: "test.noop", queue: "idle")).id

        let app = try buildApplication(configuration: configuration)
        try await app.test(.router) { client in
            async let stream = client.execute(uri: "/v1/jobs/\(id)/events", method: .get)
            try await Task.sleep(for: .milliseconds(1_100))
            _ = try await inspector.cancel(id)
            let text = String(buffer: try await stream.body)
            let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let keepalives = blocks.filter { $0 == ": keepalive" }.count
            #expect((2...7).contains(keepalives), "about one per 200 ms over 1.1 s: \(blocks)")
            #expect(blocks.first?.hasPrefix("event: state") == true && blocks.last?.hasPrefix("event: end") == true, "\(blocks)")
            #expect(blocks.contains { $0.hasPrefix("event: state") && $0.contains(#""state":"cancelled""#) }, "\(blocks)")
        }
    }
}
