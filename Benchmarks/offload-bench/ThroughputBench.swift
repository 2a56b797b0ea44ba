import ArgumentParser
import Foundation
import Offload
import OffloadRedis

/// Submit and drain rates with the work spread over several queues, on whatever
/// `--redis-url` names: one server, a Redis Cluster or a Sentinel-managed primary
/// (scripts/bench-topologies.sh runs it on all three in one run). With them, what the
/// Redis servers spent per job, each from its own `INFO cpu`: the figure the on-paper
/// scaling model of docs/scaling.md starts from.
///
/// In order, on an empty deployment (`--flush` empties it):
/// 1. an `offload-worker` publishes its job types and leaves, so submits are accepted and
///    pile up;
/// 2. lone submits, one at a time: latency with nothing else going on;
/// 3. `--submitters` callers each submitting one job at a time through one `Broker`
///    (what the API does per request; submits made together share a script call);
/// 4. the same number of jobs in batches of `--batch-size`;
/// 5. an `offload-worker` (`--worker-arguments`) drains them all, timed from the first
///    job seen completed to the last.
struct ThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Measures submit and drain rates over several queues, and Redis CPU per job, on one server, a cluster or through Sentinel."
    )

    @Option(help: "The deployment: redis://, redis+cluster://h:p,h:p or redis+sentinel://h:p,h:p/MASTER (a private one).")
    var redisURL: String = ProcessInfo.processInfo.environment["REDIS_URL"] ?? RedisConfiguration.defaultURL

    @Option(help: "Queues the jobs are spread over, round robin: PREFIX-0 … PREFIX-(N-1).")
    var queues = 6

    @Flag(help: "On a cluster, name the queues so that each primary holds as many: the first of PREFIX-0, PREFIX-1, … whose slots keep the primaries even.")
    var balance = false

    @Option(help: "First part of the queue names.")
    var queuePrefix = "bench"

    @Option(help: "Jobs submitted one at a time by the concurrent callers, and again in batches.")
    var jobs = 50_000

    @Option(help: "Concurrent callers in the submit phase, each awaiting its submit before the next.")
    var submitters = 32

    @Option(help: "Jobs per batch submit (0: no batch phase).")
    var batchSize = 1_000

    @Option(help: "Lone submits, one at a time, for the latency with nothing else running.")
    var latencyJobs = 2_000

    @Option(help: "Payload size in bytes (a JSON object padded to this length).")
    var payloadBytes = 100

    @Option(help: "A write counts once this many replicas confirmed it (WAIT): the submitter's, and the worker's --min-replicas.")
    var minReplicas = 0

    @Option(help: "The offload-worker executable that drains the jobs.")
    var workerExecutable: String

    @Option(help: "Its arguments besides --redis-url, --queues and --enable-test-jobs, space-separated.")
    var workerArguments = "--processes 2"

    @Flag(help: "Empty every primary first (FLUSHALL): only for a private deployment.")
    var flush = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard queues > 0, jobs > 0, submitters > 0, latencyJobs >= 0, batchSize >= 0, minReplicas >= 0 else {
            throw ValidationError("counts must be positive")
        }
        guard payloadBytes >= 11 else { throw ValidationError("--payload-bytes must be at least 11") }
    }

    func run() async throws {
        let configuration = try RedisConfiguration(url: redisURL)
        let redis = RedisClient(configuration: configuration)
        var settings = BrokerSettings()
        settings.minReplicas = minReplicas  // as offload-api --min-replicas
        let broker = Broker(redis: redis, settings: settings)
        let cpu = try await DeploymentCPU.discover(configuration, client: redis)
        defer { Task { await cpu.shutdown(); await redis.shutdown() } }
        if flush {
            for node in cpu.nodes where node.isPrimary { try await node.client.send("FLUSHALL") }
        }
        for node in cpu.nodes where node.isPrimary {
            guard (try await node.client.send("DBSIZE")).int == 0 else {
                throw ValidationError("\(node.endpoint) is not empty; run on a private deployment with --flush")
            }
        }
        try await redis.loadScripts(QueueScripts.all)
        let queueNodes = try await chooseQueues(broker, primaries: cpu.primaryCount)
        let run = ThroughputRun(
            options: self, broker: broker, cpu: cpu, queues: queueNodes.map(\.queue), payload: paddedPayload(payloadBytes))

        var report = ThroughputReport(
            deployment: configuration.displayAddress, primaries: cpu.primaryCount, replicas: cpu.replicaCount, queues: queues,
            minReplicas: minReplicas, payloadBytes: payloadBytes,
            queueNodes: Dictionary(uniqueKeysWithValues: queueNodes.map { ($0.queue, "\($0.node)") }))
        try await run.publishJobTypes()
        report.lone = try await run.loneSubmits()
        report.submit = try await run.concurrentSubmits()
        var total = jobs + latencyJobs
        if batchSize > 0 {
            report.batchSubmit = try await run.batchSubmits()
            total += jobs
        }
        report.drain = try await run.drain(jobs: total)

        if json { try printJSON(report) } else { print(report.text) }
    }

    /// PREFIX-0 … PREFIX-(N-1), or with `--balance` the first names that keep every
    /// primary's share within one of the others'; each with the primary its slot is on.
    func chooseQueues(_ broker: Broker, primaries: Int) async throws -> [(queue: String, node: RedisEndpoint)] {
        let fairShare = (queues + primaries - 1) / primaries
        var chosen: [(queue: String, node: RedisEndpoint)] = []
        var perNode: [RedisEndpoint: Int] = [:]
        var candidate = 0
        while chosen.count < queues {
            let name = "\(queuePrefix)-\(candidate)"
            candidate += 1
            let node = try await broker.redis.node(forKey: broker.keys.queue(name).pendingLevels)
            guard !balance || perNode[node, default: 0] < fairShare else { continue }
            guard candidate < 10_000 else { throw ValidationError("no names spread evenly over \(primaries) primaries") }
            perNode[node, default: 0] += 1
            chosen.append((name, node))
        }
        return chosen
    }
}

// MARK: Report

struct LatencyFigures: Codable {
    var count: Int
    var p50Us: Double
    var p90Us: Double
    var p99Us: Double
    var maxUs: Double

    init(_ micros: [Double]) {
        let sorted = micros.sorted()
        count = sorted.count
        p50Us = percentile(sorted, 0.50)
        p90Us = percentile(sorted, 0.90)
        p99Us = percentile(sorted, 0.99)
        maxUs = sorted.last ?? 0
    }
}

struct PhaseFigures: Codable {
    var jobs: Int
    var seconds: Double
    var rate: Double
    var latency: LatencyFigures?
    var redisCPU: RedisCPUReport
    /// This process's CPU per job (the Broker and the Redis client), for the submit phases.
    var clientCPUUs: Double?
    /// The worker's supervisor and children, for the drain.
    var workersCPUUs: Double?
}

struct ThroughputReport: Codable {
    var deployment: String
    var primaries: Int
    var replicas: Int
    var queues: Int
    var minReplicas: Int
    var payloadBytes: Int
    /// The primary each queue's slot lives on.
    var queueNodes: [String: String] = [:]
    var lone: LatencyFigures?
    var submit: PhaseFigures?
    var batchSubmit: PhaseFigures?
    var drain: PhaseFigures?

    var text: String {
        var lines = ["\(deployment): \(primaries) primaries, \(replicas) replicas, \(queues) queues, min replicas \(minReplicas)"]
        if primaries > 1 {
            let byNode = Dictionary(grouping: queueNodes.keys.sorted(), by: { queueNodes[$0]! })
            lines.append("  queues by primary: " + byNode.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; "))
        }
        if let lone {
            lines.append(String(format: "  lone submit: p50 %.0f µs, p99 %.0f µs (%d)", lone.p50Us, lone.p99Us, lone.count))
        }
        for (name, phase) in [("submit", submit), ("batch submit", batchSubmit), ("drain", drain)] {
            guard let phase else { continue }
            var line = String(
                format: "  %@: %.0f jobs/s (%d jobs, %.2f s); Redis µs/job: primaries %.2f (busiest %.2f), replicas %.2f",
                name, phase.rate, phase.jobs, phase.seconds, phase.redisCPU.primariesUs, phase.redisCPU.busiestPrimaryUs,
                phase.redisCPU.replicasUs)
            if let latency = phase.latency { line += String(format: "; p50 %.0f µs, p99 %.0f µs", latency.p50Us, latency.p99Us) }
            if let client = phase.clientCPUUs { line += String(format: "; client %.2f µs/job", client) }
            if let workers = phase.workersCPUUs { line += String(format: "; workers %.2f µs/job", workers) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
