import ArgumentParser
import Foundation
import Logging
import Offload
import OffloadRedis
import OffloadWorker

/// The queue engine, measured against a private Redis (scripts/bench-engine.sh starts one):
///
/// - `commands`: Redis commands per job for submit, claim and complete (`INFO commandstats`
///   deltas), the same through a real `WorkerRuntime`, and what an idle or busy worker
///   adds per second (reaper, registry, heartbeats, BLPOP time-outs).
/// - `latency`: enqueue → handler start of a real `WorkerRuntime` in this process, jobs
///   submitted one at a time on an idle system.
/// - `memory`: `used_memory` before and after a batch submit of many pending jobs, and
///   where the bytes go (`MEMORY USAGE` of a job hash, the pending set, the event stream).
///
/// `commands` and `latency` share one run of the worker; `memory` wants a fresh server.
struct EngineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Measures the queue engine: Redis commands per job, pickup latency, memory per job."
    )

    enum Mode: String, CaseIterable, ExpressibleByArgument {
        case commands, latency, memory
    }

    @Option(help: "Redis to benchmark against (use a private, empty one).")
    var redisURL: String = ProcessInfo.processInfo.environment["REDIS_URL"] ?? RedisConfiguration.defaultURL

    @Option(name: .customLong("mode"), help: "Run only this mode (commands, latency, memory); repeatable.")
    var modes: [Mode] = []

    @Option(help: "Jobs for the commands and latency modes.")
    var jobs = 1_000

    @Option(help: "Pending jobs submitted in the memory mode.")
    var memoryJobs = 100_000

    @Option(help: "Jobs per batch submit in the memory mode.")
    var batchSize = 1_000

    @Option(help: "Payload size in bytes (a JSON object padded to this length).")
    var payloadBytes = 100

    @Option(help: "The worker's CPU concurrency (default: the number of cores).")
    var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Pause after each job started, so the next submit finds an idle worker (ms).")
    var pauseMs = 2

    @Option(help: "Length of the idle window that measures the worker's background commands (s).")
    var windowSeconds = 10.0

    @Option(help: "Length of the busy window (one long job running), at least two heartbeat intervals (s).")
    var busySeconds = 20.0

    @Option(help: "Lease of the long job in the busy window (ms); heartbeats come every min(10 s, lease/3).")
    var busyLeaseMs = 30_000

    @Option(help: "Queue the jobs go to.")
    var queue = "default"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard jobs > 0, memoryJobs > 0, batchSize > 0 else { throw ValidationError("job counts must be positive") }
        guard payloadBytes >= 11 else { throw ValidationError("--payload-bytes must be at least 11") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard windowSeconds > 0, busySeconds > 0 else { throw ValidationError("windows must be positive") }
        guard BrokerSettings.leaseRange.contains(busyLeaseMs) else { throw ValidationError("--busy-lease-ms out of range") }
    }

    /// What the in-process worker serves. Submits of a type no worker published are refused,
    /// so the phases that submit with no worker running publish these first.
    static let jobTypes = [BenchNoopJob.name, BenchSleepJob.name]

    var payload: String { paddedPayload(payloadBytes) }

    func run() async throws {
        let modes = Set(self.modes.isEmpty ? Mode.allCases : self.modes)
        let configuration = try RedisConfiguration(url: redisURL)
        var report = EngineReport()
        if modes.contains(.memory) {
            report.memory = try await measureMemory(configuration)
        }
        if modes.contains(.commands) || modes.contains(.latency) {
            let (commands, latency) = try await measureWorker(configuration, commands: modes.contains(.commands))
            if modes.contains(.commands) { report.commands = commands }
            if modes.contains(.latency) { report.latency = latency }
        }
        if json { try printJSON(report) } else { print(report.text) }
    }

    // MARK: Commands and latency

    func measureWorker(_ configuration: RedisConfiguration, commands: Bool) async throws -> (CommandsReport, LatencyReport) {
        let submitterRedis = RedisClient(configuration: configuration)
        let workerRedis = RedisClient(configuration: configuration)
        let broker = Broker(redis: submitterRedis)
        let stats = CommandStats(redis: submitterRedis)
        var commandsReport = CommandsReport()
        try await submitterRedis.loadScripts(QueueScripts.all)
        // The phases below submit before the worker runtime starts and publishes its types.
        try await broker.publishJobTypes(Self.jobTypes)

        if commands {
            // Warm-up outside the counts: scripts loaded, queue registered.
            try await cycle(broker, count: 1, claimLimit: 1)
            commandsReport.phases = try await brokerPhases(broker, stats: stats)
        }

        // A real worker runtime in this process, with handlers that report when they start.
        let (starts, startSink) = AsyncStream.makeStream(of: (String, ContinuousClock.Instant).self)
        var registry = JobRegistry()
        registry.register(BenchNoopJob { id, instant in startSink.yield((id, instant)) })
        registry.register(BenchSleepJob { id, instant in startSink.yield((id, instant)) })
        var workerConfiguration = WorkerConfiguration()
        workerConfiguration.queues = [QueueWeight(name: queue)]
        workerConfiguration.concurrency = concurrency
        workerConfiguration.gracePeriod = .seconds(5)
        var logger = Logger(label: "offload.bench.worker")
        logger.logLevel = .warning
        let runtime = WorkerRuntime(
            broker: Broker(redis: workerRedis), registry: registry, configuration: workerConfiguration, logger: logger)
        let runtimeTask = Task { try await runtime.run() }
        var startIterator = starts.makeAsyncIterator()

        // Let it publish its job types, register and reap once, then block on BLPOP.
        try await Task.sleep(for: .milliseconds(1_500))

        var idle: [String: Double] = [:]
        if commands {
            idle = try await stats.perSecond(over: windowSeconds)
            commandsReport.idlePerSecond = idle
        }

        // Warm-up jobs (not counted), then the measured ones, one at a time.
        _ = try await pickups(broker, count: 20, starts: &startIterator)
        let before = try await stats.snapshot()
        let clock = ContinuousClock()
        let begin = clock.now
        let latencies = try await pickups(broker, count: jobs, starts: &startIterator)
        try await Task.sleep(for: .milliseconds(300))  // the last job completes, the worker blocks again
        let elapsed = (clock.now - begin).seconds
        let after = try await stats.snapshot()

        if commands {
            // The worker's background (reaper, registry, BLPOP time-outs) over the same time is subtracted.
            var perJob = CommandStats.delta(before, after)
            for (name, rate) in idle { perJob[name, default: 0] -= rate * elapsed }
            commandsReport.workerPerJob = perJob.mapValues { $0 / Double(jobs) }.filter { abs($0.value) >= 0.005 }
            commandsReport.workerJobs = jobs

            // Busy: one long job running with a short lease, so heartbeats show.
            let submitted = try await broker.submit(
                JobSubmission(
                    type: BenchSleepJob.name, payload: #"{"seconds":\#(busySeconds + 0.5)}"#, queue: queue,
                    leaseMilliseconds: busyLeaseMs))
            guard let (id, _) = await startIterator.next(), id == submitted.id else {
                throw ValidationError("the long job did not start")
            }
            let busy = try await stats.perSecond(over: busySeconds)
            commandsReport.busyPerSecond = busy
            commandsReport.busyLeaseMilliseconds = busyLeaseMs
            try await Task.sleep(for: .seconds(1.5))  // it completes
        }

        runtime.beginShutdown()
        try await runtimeTask.value
        startSink.finish()
        await workerRedis.shutdown()
        await submitterRedis.shutdown()

        let micros = latencies.map { $0.seconds * 1e6 }.sorted()
        let latency = LatencyReport(
            jobs: micros.count, p50Us: percentile(micros, 0.50), p90Us: percentile(micros, 0.90),
            p99Us: percentile(micros, 0.99), maxUs: micros.last ?? 0, minUs: micros.first ?? 0,
            meanUs: micros.reduce(0, +) / Double(max(1, micros.count)), concurrency: concurrency)
        return (commandsReport, latency)
    }

    /// Submits one job, waits for its handler to start, pauses; returns enqueue → start per job.
    func pickups(
        _ broker: Broker, count: Int, starts: inout AsyncStream<(String, ContinuousClock.Instant)>.Iterator
    ) async throws -> [Duration] {
        var latencies: [Duration] = []
        latencies.reserveCapacity(count)
        let submission = JobSubmission(type: BenchNoopJob.name, payload: payload, queue: queue)
        for _ in 0..<count {
            let submittedAt = ContinuousClock.now
            let submitted = try await broker.submit(submission)
            guard let (id, startedAt) = await starts.next() else { throw ValidationError("the worker stopped") }
            guard id == submitted.id else { throw ValidationError("job \(id) started, expected \(submitted.id)") }
            latencies.append(startedAt - submittedAt)
            try await Task.sleep(for: .milliseconds(pauseMs))
        }
        return latencies
    }

    /// Submit, claim and complete driven through the Broker alone, one phase at a time.
    func brokerPhases(_ broker: Broker, stats: CommandStats) async throws -> [PhaseReport] {
        var phases: [PhaseReport] = []
        func phase(_ name: String, jobs: Int, roundTrips: Int, _ body: () async throws -> Void) async throws {
            let before = try await stats.snapshot()
            try await body()
            let after = try await stats.snapshot()
            phases.append(PhaseReport(
                phase: name, jobs: jobs, roundTripsPerJob: Double(roundTrips) / Double(jobs),
                commandsPerJob: CommandStats.delta(before, after).mapValues { $0 / Double(jobs) }))
        }
        let n = jobs
        let submission = JobSubmission(type: BenchNoopJob.name, payload: payload, queue: queue)
        var claimed: [ClaimedJob] = []
        try await phase("submit", jobs: n, roundTrips: n) {
            for _ in 0..<n { _ = try await broker.submit(submission) }
        }
        try await phase("claim (1 per call)", jobs: n, roundTrips: n) {
            for _ in 0..<n {
                claimed += try await broker.claim(queue: queue, limit: 1, token: UUID().uuidString, workerID: "bench").jobs
            }
        }
        guard claimed.count == n else { throw ValidationError("claimed \(claimed.count) of \(n) jobs") }
        try await phase("complete", jobs: n, roundTrips: n) {
            for job in claimed { _ = try await broker.complete(job, resultJSON: "{}") }
        }
        try await phase("claim, nothing pending", jobs: n, roundTrips: n) {
            for _ in 0..<n { _ = try await broker.claim(queue: queue, limit: 1, token: "t", workerID: "bench") }
        }
        // Batches: one round trip for many jobs; the commands Redis runs stay per job.
        let batch = 100
        let batches = (n + batch - 1) / batch
        try await phase("submit (batch of \(batch))", jobs: batches * batch, roundTrips: batches) {
            for _ in 0..<batches { _ = try await broker.submit(batch: Array(repeating: submission, count: batch)) }
        }
        claimed = []
        try await phase("claim (\(batch) per call)", jobs: batches * batch, roundTrips: batches) {
            for _ in 0..<batches {
                claimed += try await broker.claim(queue: queue, limit: batch, token: UUID().uuidString, workerID: "bench").jobs
            }
        }
        for job in claimed { _ = try await broker.complete(job, resultJSON: "{}") }
        return phases
    }

    /// Submit → claim → complete, untimed (warm-up).
    func cycle(_ broker: Broker, count: Int, claimLimit: Int) async throws {
        for _ in 0..<count {
            _ = try await broker.submit(JobSubmission(type: BenchNoopJob.name, payload: payload, queue: queue))
        }
        let claimed = try await broker.claim(queue: queue, limit: count, token: "warm-up", workerID: "bench").jobs
        for job in claimed { _ = try await broker.complete(job, resultJSON: "{}") }
    }

    // MARK: Memory

    func measureMemory(_ configuration: RedisConfiguration) async throws -> MemoryReport {
        let redis = RedisClient(configuration: configuration)
        defer { Task { await redis.shutdown() } }
        let broker = Broker(redis: redis)
        let keys = OffloadKeys().queue(queue)
        guard (try await redis.send("DBSIZE")).int == 0 else {
            throw ValidationError("the memory mode needs an empty Redis (a fresh redis-server)")
        }
        try await redis.loadScripts(QueueScripts.all)
        try await broker.publishJobTypes(Self.jobTypes)  // no worker runs in this mode
        let usedBefore = try await usedMemory(redis)
        let submission = JobSubmission(type: BenchNoopJob.name, payload: payload, queue: queue)
        var remaining = memoryJobs
        while remaining > 0 {
            let count = min(batchSize, remaining)
            let outcomes = try await broker.submit(batch: Array(repeating: submission, count: count))
            for outcome in outcomes { _ = try outcome.get() }
            remaining -= count
        }
        let usedAfter = try await usedMemory(redis)
        let n = Double(memoryJobs)

        // Where it goes. MEMORY USAGE counts the key's name, its object and its value.
        // Every job has priority 0, so they are all in one level's list.
        let sampleIDs = (try await redis.send("LRANGE", .string(keys.pending(priority: 0)), "0", "199")).array?.compactMap(\.string) ?? []
        var hashBytes = 0
        for id in sampleIDs { hashBytes += (try await redis.send("MEMORY", "USAGE", .string(keys.job(id)), "SAMPLES", "0")).int ?? 0 }
        let jobHash = Double(hashBytes) / Double(max(1, sampleIDs.count))
        let encoding = sampleIDs.first.map { keys.job($0) }
        let jobEncoding = try await encoding.asyncMap { try await redis.send("OBJECT", "ENCODING", .string($0)).string } ?? nil
        let fieldCount = try await encoding.asyncMap { try await redis.send("HLEN", .string($0)).int } ?? nil
        func usage(_ key: String) async throws -> Double {
            Double((try await redis.send("MEMORY", "USAGE", .string(key), "SAMPLES", "0")).int ?? 0)
        }
        let pending = try await usage(keys.pending(priority: 0)) + usage(keys.pendingLevels)
        let events = try await usage(keys.events)
        let eventsLength = (try await redis.send("XLEN", .string(keys.events))).int ?? 0
        let others = try await usage(keys.signal) + usage(OffloadKeys().queues)
        let accounted = jobHash * n + pending + events + others
        let delta = Double(usedAfter - usedBefore)
        return MemoryReport(
            jobs: memoryJobs, payloadBytes: payloadBytes, usedMemoryBefore: usedBefore, usedMemoryAfter: usedAfter,
            bytesPerJob: delta / n, overheadPerJob: delta / n - Double(payloadBytes),
            jobHashBytes: jobHash, jobHashEncoding: jobEncoding ?? "?", jobHashFields: fieldCount ?? 0,
            pendingPerJob: pending / n, eventsBytes: events, eventsLength: eventsLength,
            eventsPerEntry: events / Double(max(1, eventsLength)), eventsPerJob: events / n,
            unaccountedPerJob: (delta - accounted) / n)
    }

    func usedMemory(_ redis: RedisClient) async throws -> Int {
        let text = (try await redis.send("INFO", "memory")).string ?? ""
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            if let value = Int(line.dropFirst("used_memory:".count)) { return value }
        }
        throw ValidationError("no used_memory in INFO memory")
    }
}

// MARK: Handlers

/// Does nothing but say when it started.
struct BenchNoopJob: CPUJob {
    static let name = "bench.noop"
    struct Input: Codable, Sendable {}
    struct Output: Codable, Sendable {}
    let onStart: @Sendable (String, ContinuousClock.Instant) -> Void

    func run(_ input: Input, context: JobContext) throws -> Output {
        onStart(context.jobID, ContinuousClock.now)
        return Output()
    }
}

/// Holds its thread for a while, so the worker heartbeats it.
struct BenchSleepJob: CPUJob {
    static let name = "bench.sleep"
    struct Input: Codable, Sendable { let seconds: Double }
    struct Output: Codable, Sendable {}
    let onStart: @Sendable (String, ContinuousClock.Instant) -> Void

    func run(_ input: Input, context: JobContext) throws -> Output {
        onStart(context.jobID, ContinuousClock.now)
        Thread.sleep(forTimeInterval: input.seconds)
        return Output()
    }
}

// MARK: INFO commandstats

struct CommandStats {
    let redis: RedisClient

    /// Calls per command name since the server started.
    func snapshot() async throws -> [String: Int] {
        let text = (try await redis.send("INFO", "commandstats")).string ?? ""
        var calls: [String: Int] = [:]
        // cmdstat_evalsha:calls=3,usec=...
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 8)..<colon])
            for part in line[line.index(after: colon)...].split(separator: ",") where part.hasPrefix("calls=") {
                calls[name] = Int(part.dropFirst(6))
            }
        }
        return calls
    }

    /// Calls made between two snapshots; the INFO that took the snapshot is left out.
    static func delta(_ before: [String: Int], _ after: [String: Int]) -> [String: Double] {
        var delta: [String: Double] = [:]
        for (name, count) in after where name != "info" {
            let change = count - (before[name] ?? 0)
            if change != 0 { delta[name] = Double(change) }
        }
        return delta
    }

    func perSecond(over seconds: Double) async throws -> [String: Double] {
        let before = try await snapshot()
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let after = try await snapshot()
        let elapsed = (ContinuousClock.now - start).seconds
        return Self.delta(before, after).mapValues { $0 / elapsed }
    }
}

// MARK: Report

struct PhaseReport: Codable {
    var phase: String
    var jobs: Int
    /// Round trips the client made (a pipeline or a batch is one).
    var roundTripsPerJob: Double
    /// Commands Redis ran, by name: EVALSHA is the client's; the rest ran inside the scripts.
    var commandsPerJob: [String: Double]
}

struct CommandsReport: Codable {
    var phases: [PhaseReport] = []
    /// Through a real WorkerRuntime, one job at a time, background subtracted.
    var workerPerJob: [String: Double] = [:]
    var workerJobs = 0
    var idlePerSecond: [String: Double] = [:]
    /// While one job runs with `busyLeaseMilliseconds`.
    var busyPerSecond: [String: Double] = [:]
    var busyLeaseMilliseconds = 0
}

struct LatencyReport: Codable {
    var jobs: Int
    var p50Us: Double
    var p90Us: Double
    var p99Us: Double
    var maxUs: Double
    var minUs: Double
    var meanUs: Double
    var concurrency: Int
}

struct MemoryReport: Codable {
    var jobs: Int
    var payloadBytes: Int
    var usedMemoryBefore: Int
    var usedMemoryAfter: Int
    var bytesPerJob: Double
    var overheadPerJob: Double
    /// MEMORY USAGE of one job hash (its key included), averaged over a sample.
    var jobHashBytes: Double
    var jobHashEncoding: String
    var jobHashFields: Int
    var pendingPerJob: Double
    var eventsBytes: Double
    var eventsLength: Int
    var eventsPerEntry: Double
    var eventsPerJob: Double
    /// used_memory growth not in the keys above: the keyspace's hash table, allocator slack.
    var unaccountedPerJob: Double
}

struct EngineReport: Codable {
    var commands: CommandsReport?
    var latency: LatencyReport?
    var memory: MemoryReport?

    var text: String {
        var lines: [String] = []
        func format(_ counts: [String: Double]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
        }
        if let commands {
            lines.append("Redis commands per job (EVALSHA/BLPOP are the client's, the rest run inside scripts):")
            for phase in commands.phases {
                lines.append("  \(phase.phase): round trips \(String(format: "%.2f", phase.roundTripsPerJob)); \(format(phase.commandsPerJob))")
            }
            lines.append("  real worker, per job (submit included, \(commands.workerJobs) jobs): \(format(commands.workerPerJob))")
            lines.append("  idle worker, per second: \(format(commands.idlePerSecond))")
            lines.append("  worker running one job (lease \(commands.busyLeaseMilliseconds) ms), per second: \(format(commands.busyPerSecond))")
        }
        if let latency {
            lines.append(String(
                format: "Pickup latency (enqueue → handler start, %d jobs, concurrency %d): p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs, min %.0f µs",
                latency.jobs, latency.concurrency, latency.p50Us, latency.p90Us, latency.p99Us, latency.maxUs, latency.minUs))
        }
        if let memory {
            lines.append(String(
                format: "Memory: %d pending jobs, %d-byte payload: %.0f bytes/job, %.0f overhead/job; job hash %.0f B (%d fields, encoding ENC), pending set %.0f B/job, events %.0f B (%d entries, %.0f B/entry, %.0f B/job), unaccounted %.0f B/job",
                memory.jobs, memory.payloadBytes, memory.bytesPerJob, memory.overheadPerJob, memory.jobHashBytes,
                memory.jobHashFields, memory.pendingPerJob, memory.eventsBytes, memory.eventsLength,
                memory.eventsPerEntry, memory.eventsPerJob, memory.unaccountedPerJob
            ).replacingOccurrences(of: "ENC", with: memory.jobHashEncoding))
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: Helpers

/// One JSON object on one line, keys sorted: what the bench scripts read.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `{"data":"xxx…"}`, exactly `bytes` long (at least 11).
func paddedPayload(_ bytes: Int) -> String { #"{"data":""# + String(repeating: "x", count: bytes - 11) + #""}"# }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    // Nearest rank.
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count, max(1, rank)) - 1]
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): return try await transform(value)
        case .none: return nil
        }
    }
}
