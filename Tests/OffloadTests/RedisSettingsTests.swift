import OffloadRedis
import Testing

@testable import Offload

/// The one Redis setting that doubles a job's memory when left at its default.
@Suite struct RedisSettingsTests {
    @Test func listpackValueLimitIsReadFromRedis() async throws {
        try await TestEngine.with { engine in
            let configured = try await engine.client.send("CONFIG", "GET", "hash-max-listpack-value").array?.last?.string
            let limit = await engine.broker.listpackValueLimit()
            #expect(limit != nil && limit.map(String.init) == configured)
        }
    }
}
