import NIOConcurrencyHelpers
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// The API's cache of published job types, on the real Redis: submits of unknown types
/// must not turn into a Redis read each, and a type a worker publishes must be accepted soon.
@Suite struct JobTypeCatalogTests {
    /// A broker on its own key prefix, and the catalog reading its types through the real
    /// inspector with the reads counted.
    struct Fixture {
        let client: RedisClient
        let broker: Broker
        let reads = NIOLockedValueBox(0)

        init() throws {
            var settings = BrokerSettings()
            settings.keyPrefix = TestRedis.uniquePrefix("catalog")
            client = try TestRedis.makeClient()
            broker = Broker(redis: client, settings: settings)
        }

        func catalog(maxAge: Duration = .seconds(1), missRetry: Duration) -> JobTypeCatalog {
            let inspector = Inspector(broker: broker)
            let reads = self.reads
            return JobTypeCatalog(maxAge: maxAge, missRetry: missRetry) { () async throws(OffloadError) in
                reads.withLockedValue { $0 += 1 }
                return try await inspector.jobTypes()
            }
        }

        func close() async {
            _ = try? await client.send("DEL", .string(broker.keys.jobTypes))
            await client.shutdown()
        }
    }

    static func isUnknownType(_ body: () async throws -> Void) async -> Bool {
        do {
            try await body()
            return false
        } catch let error as OffloadError {
            return error.code == .unknownJobType
        } catch {
            return false
        }
    }

    @Test func aThousandUnknownTypesCostAFewReadsNotOneEach() async throws {
        let fixture = try Fixture()
        try await fixture.broker.publishJobTypes(["known"])
        let catalog = fixture.catalog(missRetry: .seconds(30))
        // As a batch submit checks its items: in turn.
        for index in 0..<1_000 {
            #expect(await Self.isUnknownType { try await catalog.requireKnown("unknown-\(index % 7)") })
        }
        // And as concurrent single submits do.
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 { group.addTask { await Self.isUnknownType { try await catalog.requireKnown("other-\(index)") } } }
            for await unknown in group { #expect(unknown) }
        }
        try await catalog.requireKnown("known")
        #expect(fixture.reads.withLockedValue { $0 } == 1)
        await fixture.close()
    }

    @Test func aTypePublishedAfterAMissIsAcceptedWithinTheRetryInterval() async throws {
        let fixture = try Fixture()
        let catalog = fixture.catalog(missRetry: .milliseconds(100))
        #expect(await Self.isUnknownType { try await catalog.requireKnown("late") })
        try await fixture.broker.publishJobTypes(["late"])
        try await waitUntil("the published type is accepted") { !(await Self.isUnknownType { try await catalog.requireKnown("late") }) }
        // Asking every 20 ms for a type that appears within 100 ms read Redis a few times, not once per ask.
        #expect(fixture.reads.withLockedValue { $0 } <= 4)
        await fixture.close()
    }

    @Test func knownTypesStayAcceptedWhileTheCacheRefreshes() async throws {
        let fixture = try Fixture()
        try await fixture.broker.publishJobTypes(["steady"])
        // Every cached answer is stale at once: each submit may start a refresh.
        let catalog = fixture.catalog(maxAge: .zero, missRetry: .seconds(30))
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 { group.addTask { !(await Self.isUnknownType { try await catalog.requireKnown("steady") }) } }
            for await accepted in group { #expect(accepted) }
        }
        await fixture.close()
    }
}
