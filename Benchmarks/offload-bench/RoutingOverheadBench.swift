import ArgumentParser
import Foundation
import OffloadRedis

/// What the client's routing costs per command: the same commands on the same server,
/// once through a plain `redis://` URL to that server and once through the deployment's
/// `redis+cluster://` (or `redis+sentinel://`) URL, every key hashing to that server. So
/// the ratio is the router's own cost (slot of the key, topology look-up, the split of a
/// pipeline by node), not Redis's and not the network's. The two take turns (plain then
/// routed, then routed then plain, …), so a drift of the machine's speed falls on both.
struct RoutingOverheadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing-overhead",
        abstract: "Measures the Redis client's cost per command on a cluster or sentinel URL against a plain URL to the same server."
    )

    enum Command: String, CaseIterable, ExpressibleByArgument {
        case set, get, evalsha
    }

    enum Shape: String, CaseIterable, ExpressibleByArgument {
        case single, pipelined, concurrent
    }

    @Option(help: "The routed deployment: redis+cluster://h:p,h:p or redis+sentinel://h:p,h:p/MASTER.")
    var redisURL: String

    @Option(help: "The one key every command uses; its slot picks the server both URLs reach.")
    var key = "offload-bench:{routing}:key"

    @Option(help: "Commands per measurement.")
    var requests = 50_000

    @Option(help: "Rounds; each measures plain and routed twice, in turn.")
    var rounds = 3

    @Option(help: "Commands per pipeline in the pipelined shape.")
    var pipeline = 16

    @Option(help: "Concurrent callers in the concurrent shape.")
    var clients = 50

    @Option(help: "Pooled connections (per server) in the concurrent shape.")
    var poolSize = 4

    @Option(name: .customLong("command"), help: "Only this command (set, get, evalsha); repeatable.")
    var commands: [Command] = []

    @Option(name: .customLong("shape"), help: "Only this shape (single, pipelined, concurrent); repeatable.")
    var shapes: [Shape] = []

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard requests > 0, rounds > 0, pipeline > 0, clients > 0, poolSize > 0 else {
            throw ValidationError("counts must be positive")
        }
    }

    /// `EVALSHA` of a script that reads its one key: a script call, routed by its key.
    static let script = RedisScript(name: "bench-get", source: "return redis.call('GET', KEYS[1])")

    struct Result: Codable {
        var command: String
        var shape: String
        var plainOpsPerSecond: [Double]
        var routedOpsPerSecond: [Double]
        /// Median routed / median plain.
        var ratio: Double
        /// Median routed time per command minus median plain time per command.
        var overheadUsPerCommand: Double
    }

    struct Report: Codable {
        var deployment: String
        var server: String
        var requests: Int
        var rounds: Int
        var results: [Result]
    }

    func run() async throws {
        let routed = try RedisConfiguration(url: redisURL)
        let probe = RedisClient(configuration: routed)
        let server = try await probe.node(forKey: key)
        await probe.shutdown()
        let plain = DeploymentCPU.standalone(routed, server)
        var results: [Result] = []
        for command in commands.isEmpty ? Command.allCases : commands {
            for shape in shapes.isEmpty ? Shape.allCases : shapes {
                var plainOps: [Double] = []
                var routedOps: [Double] = []
                for round in 0..<rounds {
                    let order = round % 2 == 0 ? [false, true, true, false] : [true, false, false, true]
                    for isRouted in order {
                        let ops = try await measure(command, shape, isRouted ? routed : plain)
                        if isRouted { routedOps.append(ops) } else { plainOps.append(ops) }
                    }
                }
                let plainMedian = median(plainOps), routedMedian = median(routedOps)
                results.append(Result(
                    command: command.rawValue, shape: shape.rawValue, plainOpsPerSecond: plainOps, routedOpsPerSecond: routedOps,
                    ratio: routedMedian / plainMedian, overheadUsPerCommand: 1e6 / routedMedian - 1e6 / plainMedian))
            }
        }
        let report = Report(
            deployment: routed.displayAddress, server: "\(server)", requests: requests, rounds: rounds, results: results)
        if json { return try printJSON(report) }
        print("\(report.deployment) against redis://\(report.server) (the server of \(key)), \(requests) commands × \(rounds * 2) each:")
        for result in results {
            print(String(
                format: "  %@ %@: plain %.0f ops/s, routed %.0f ops/s, ratio %.3f, %+.2f µs per command",
                result.command, result.shape, median(result.plainOpsPerSecond), median(result.routedOpsPerSecond), result.ratio,
                result.overheadUsPerCommand))
        }
    }

    func measure(_ command: Command, _ shape: Shape, _ base: RedisConfiguration) async throws -> Double {
        let configuration = base.with(poolSize: shape == .concurrent ? poolSize : 1)
        let key = self.key, requests = self.requests, pipeline = self.pipeline, clients = self.clients
        return try await RedisClientBench.withWarmClient(configuration, key: key) { client in
            try await client.send("SET", .string(key), "xxx")
            if command == .evalsha { try await client.loadScripts([Self.script]) }
            let argv: RedisCommand
            switch command {
            case .set: argv = RedisCommand("SET", .string(key), "xxx")
            case .get: argv = RedisCommand("GET", .string(key))
            case .evalsha: argv = client.scriptCommand(Self.script, keys: [key], arguments: [])
            }
            // Outside the timing: the first call of each kind (a script's first EVALSHA).
            try await client.send(argv)
            let start = ContinuousClock.now
            switch shape {
            case .single:
                for _ in 0..<requests { try await client.send(argv) }
            case .pipelined:
                let batch = Array(repeating: argv, count: pipeline)
                for _ in 0..<((requests + pipeline - 1) / pipeline) { _ = try await client.pipeline(batch) }
            case .concurrent:
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<clients {
                        let share = requests / clients + (index < requests % clients ? 1 : 0)
                        group.addTask { for _ in 0..<share { try await client.send(argv) } }
                    }
                    try await group.waitForAll()
                }
            }
            return Double(shape == .pipelined ? (requests + pipeline - 1) / pipeline * pipeline : requests)
                / (ContinuousClock.now - start).seconds
        }
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
