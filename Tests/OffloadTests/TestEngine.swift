import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// One test's queue engine: a broker with its own key prefix on the shared test Redis
/// and a clock that moves only when told to, so leases expire and scheduled jobs fall
/// due without waiting.
struct TestEngine: Sendable {
    let client: RedisClient
    let broker: Broker
    let inspector: Inspector
    let clock: ManualClock
    let url: String

    var keys: OffloadKeys { broker.keys }
    var settings: BrokerSettings { broker.settings }

    /// Runs `body` with a fresh engine, then deletes its keys and closes its client.
    static func with(
        url: String = TestRedis.url,
        _ configure: (inout BrokerSettings) -> Void = { _ in },
        _ body: (TestEngine) async throws -> Void
    ) async throws {
        var settings = BrokerSettings()
        settings.keyPrefix = TestRedis.uniquePrefix("t")
        configure(&settings)
        let client = try RedisClient.forTests(url: url)
        let clock = ManualClock()
        let broker = Broker(redis: client, settings: settings, clock: clock)
        let engine = TestEngine(client: client, broker: broker, inspector: Inspector(broker: broker), clock: clock, url: url)
        do {
            // As if a worker served them: the engine refuses submits of types nobody serves.
            try await broker.publishJobTypes(servedTypes)
            try await body(engine)
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    /// The job types the tests' submits use; any other type is one no worker serves.
    static let servedTypes = ["test.echo", "test.other", "t", "x", "resize", "thumbnail"]

    /// Another broker on the same keys and clock, with its own connections (a second process).
    func sibling() throws -> (Broker, RedisClient) {
        let client = try RedisClient.forTests(url: url)
        return (Broker(redis: client, settings: settings, clock: clock), client)
    }

    private func close() async {
        var cursor = "0"
        repeat {
            guard let reply = try? await client.send("SCAN", .string(cursor), "MATCH", .string(settings.keyPrefix + ":*"), "COUNT", 1000),
                let parts = reply.array, parts.count == 2
            else { break }
            cursor = parts[0].string ?? "0"
            let found = (parts[1].array ?? []).compactMap(\.string)
            if !found.isEmpty { _ = try? await client.send(RedisCommand(["DEL"] + found.map { .string($0) })) }
        } while cursor != "0"
        await client.shutdown()
    }

    // MARK: Shortcuts

    @discardableResult
    func submit(
        _ type: String = "test.echo", payload: String = "{}", queue: String = "q",
        _ configure: (inout JobSubmission) -> Void = { _ in }
    ) async throws -> SubmittedJob {
        var submission = JobSubmission(type: type, payload: payload, queue: queue)
        configure(&submission)
        return try await broker.submit(submission)
    }

    func claim(queue: String = "q", limit: Int = 1, worker: String = "worker-1") async throws -> ClaimResult {
        try await broker.claim(queue: queue, limit: limit, token: UUID().uuidString, workerID: worker)
    }

    /// Claims exactly one job and fails the test when there is none.
    func claimOne(queue: String = "q", worker: String = "worker-1", sourceLocation: SourceLocation = #_sourceLocation) async throws -> ClaimedJob {
        let result = try await claim(queue: queue, limit: 1, worker: worker)
        return try #require(result.jobs.first, "no job to claim in '\(queue)'", sourceLocation: sourceLocation)
    }

    func job(_ id: String) async throws -> JobRecord {
        try await inspector.job(id)
    }

    func counts(queue: String = "q") async throws -> QueueCounts {
        try await inspector.counts()[queue] ?? QueueCounts()
    }

    /// The events of one queue's stream, oldest first.
    func events(queue: String = "q") async throws -> [StreamEvent] {
        let reply = try await client.send("XRANGE", .string(keys.queue(queue).events), "-", "+")
        return (reply.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let fields = parts[1].array else { return nil }
            var map: [String: String] = [:]
            var index = 0
            while index + 1 < fields.count {
                if let key = fields[index].string { map[key] = fields[index + 1].string }
                index += 2
            }
            return StreamEvent(fields: map)
        }
    }

    /// The event names recorded for one job, in order.
    func eventNames(of id: String, queue: String = "q") async throws -> [String] {
        try await events(queue: queue).filter { $0.ids.contains(id) }.map(\.event)
    }

    /// When a finished job's result TTL ends (ms): its score in the finished set, nil if absent.
    func keptUntil(_ id: String, in finishedSet: String) async throws -> Int? {
        try await client.send("ZSCORE", .string(finishedSet), .string(id)).string.flatMap { Int($0) }
    }

    func exists(_ key: String) async throws -> Bool {
        try await client.send("EXISTS", .string(key)).int == 1
    }

    /// Job hashes stored under one queue, found by their key prefix.
    func storedJobCount(queue: String = "q") async throws -> Int {
        // SCAN walks one server: on a cluster, the node that holds the queue's slot.
        let node = try RedisClient.forTests(url: "redis://\(try await client.node(forKey: keys.queue(queue).jobPrefix))")
        defer { Task { await node.shutdown() } }
        var cursor = "0"
        var count = 0
        repeat {
            let reply = try await node.send("SCAN", .string(cursor), "MATCH", .string(keys.queue(queue).jobPrefix + "*"), "COUNT", 1000)
            let parts = reply.array ?? []
            cursor = parts.first?.string ?? "0"
            count += parts.dropFirst().first?.array?.count ?? 0
        } while cursor != "0"
        return count
    }
}

struct StreamEvent: Sendable, Hashable {
    let fields: [String: String]
    var event: String { fields["event"] ?? "" }
    /// The jobs it names: `id`, or `ids` (space-separated) for a batch entry.
    var ids: [String] { fields["ids"].map { $0.split(separator: " ").map(String.init) } ?? fields["id"].map { [$0] } ?? [] }
}

/// A millisecond timestamp as the engine turns it into a `Date`.
func date(milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000)
}

/// Expects `body` to throw an `OffloadError` with `code`, and returns it.
@discardableResult
func expectOffloadError<R>(
    _ code: OffloadError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R
) async -> OffloadError? {
    do {
        let value = try await body()
        Issue.record("expected \(code.rawValue), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as OffloadError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected OffloadError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
