import ArgumentParser
import Foundation
import OffloadRedis

/// Benchmarks run by hand (scripts/bench-redis-client.sh, scripts/bench-engine.sh,
/// scripts/bench-topologies.sh); never part of the tests. Without a subcommand it runs `redis-client`.
@main
struct OffloadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offload-bench",
        abstract: "Offload benchmarks: the Redis client, the queue engine, and both on a cluster or through Sentinel.",
        subcommands: [RedisClientBench.self, EngineBench.self, ThroughputBench.self, RoutingOverheadBench.self],
        defaultSubcommand: RedisClientBench.self
    )
}

/// Redis-client throughput: `LPUSH key value` (3-byte value, like redis-benchmark's
/// default) in the three shapes redis-benchmark measures with `-c 1`, `-c 50` and `-P 16`.
struct RedisClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-client",
        abstract: "Measures the Redis client's LPUSH throughput (ops/s)."
    )

    enum Mode: String, CaseIterable, ExpressibleByArgument {
        case single, concurrent, pipelined
    }

    @Option(help: "Redis to benchmark against.")
    var redisURL: String = ProcessInfo.processInfo.environment["REDIS_URL"] ?? RedisConfiguration.defaultURL

    @Option(help: "Commands per mode (and per pool size in concurrent mode).")
    var requests: Int = 200_000

    @Option(help: "Concurrent callers in concurrent mode.")
    var clients: Int = 50

    @Option(help: "Commands per pipeline batch in pipelined mode.")
    var pipeline: Int = 16

    @Option(help: "Pool sizes tried in concurrent mode, comma-separated; the best is reported.")
    var poolSizes: String = "1,2,4,8"

    @Option(name: .customLong("mode"), help: "Run only this mode (single, concurrent, pipelined); repeatable.")
    var modes: [Mode] = []

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard requests > 0 else { throw ValidationError("--requests must be positive") }
        guard clients > 0 else { throw ValidationError("--clients must be positive") }
        guard pipeline > 0 else { throw ValidationError("--pipeline must be positive") }
        guard !parsedPoolSizes.isEmpty else { throw ValidationError("--pool-sizes needs positive integers") }
    }

    var parsedPoolSizes: [Int] {
        poolSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
    }

    struct Result: Codable {
        var mode: String
        var requests: Int
        var opsPerSecond: Double
        var poolSize: Int
        /// Concurrent mode only: ops/s for every pool size tried.
        var byPoolSize: [String: Double]?
    }

    func run() async throws {
        let base = try RedisConfiguration(url: redisURL)
        let key = "offload-bench:mylist"
        var results: [Result] = []
        for mode in modes.isEmpty ? Mode.allCases : modes {
            switch mode {
            case .single:
                let ops = try await measure(base.with(poolSize: 1), key: key) { client in
                    for _ in 0..<requests { try await client.send(lpush(key)) }
                    return requests
                }
                results.append(Result(mode: "single", requests: requests, opsPerSecond: ops, poolSize: 1))
            case .concurrent:
                var byPoolSize: [String: Double] = [:]
                var best = (poolSize: 0, ops: 0.0)
                for poolSize in parsedPoolSizes {
                    let ops = try await measure(base.with(poolSize: poolSize), key: key) { client in
                        try await concurrentLoop(client, key: key)
                    }
                    byPoolSize[String(poolSize)] = ops
                    if ops > best.ops { best = (poolSize, ops) }
                }
                results.append(Result(
                    mode: "concurrent", requests: requests, opsPerSecond: best.ops, poolSize: best.poolSize,
                    byPoolSize: byPoolSize
                ))
            case .pipelined:
                let ops = try await measure(base.with(poolSize: 1), key: key) { client in
                    let batch = Array(repeating: lpush(key), count: pipeline)
                    let batches = (requests + pipeline - 1) / pipeline
                    for _ in 0..<batches { _ = try await client.pipeline(batch) }
                    return batches * pipeline
                }
                results.append(Result(mode: "pipelined", requests: requests, opsPerSecond: ops, poolSize: 1))
            }
        }
        report(results)
    }

    func lpush(_ key: String) -> RedisCommand { RedisCommand("LPUSH", .string(key), "xxx") }

    /// `clients` tasks share `requests` between them, each awaiting one `send` at a time.
    func concurrentLoop(_ client: RedisClient, key: String) async throws -> Int {
        let clients = self.clients, requests = self.requests
        let command = lpush(key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<clients {
                let share = requests / clients + (index < requests % clients ? 1 : 0)
                group.addTask {
                    for _ in 0..<share { try await client.send(command) }
                }
            }
            try await group.waitForAll()
        }
        return requests
    }

    /// Opens every pooled connection and warms up outside the timed part; returns ops/s.
    func measure(
        _ configuration: RedisConfiguration, key: String,
        _ body: (RedisClient) async throws -> Int
    ) async throws -> Double {
        try await Self.withWarmClient(configuration, key: key) { client in
            let start = ContinuousClock.now
            let done = try await body(client)
            return Double(done) / (ContinuousClock.now - start).seconds
        }
    }

    /// A client with every pooled connection open, for one measurement; `key` is deleted
    /// before and after.
    static func withWarmClient<T>(
        _ configuration: RedisConfiguration, key: String,
        _ body: (RedisClient) async throws -> T
    ) async throws -> T {
        let client = RedisClient(configuration: configuration)
        // Round-robin over the pool: poolSize concurrent commands touch every connection.
        // A keyed one, so on a cluster they open the pool of the node that holds `key`.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<(configuration.poolSize * 4) { group.addTask { try await client.send("EXISTS", .string(key)) } }
            try await group.waitForAll()
        }
        try await client.send("DEL", .string(key))
        let result = try await body(client)
        try await client.send("DEL", .string(key))
        await client.shutdown()
        return result
    }

    func report(_ results: [Result]) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = (try? encoder.encode(["results": results])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for result in results {
            var line = "\(result.mode): \(String(format: "%.0f", result.opsPerSecond)) ops/s"
            if let byPoolSize = result.byPoolSize {
                let all = byPoolSize.sorted { Int($0.key)! < Int($1.key)! }
                    .map { "pool \($0.key): \(String(format: "%.0f", $0.value))" }.joined(separator: ", ")
                line += " (best pool size \(result.poolSize); \(all))"
            }
            print(line)
        }
    }
}
