import Foundation
import OffloadRedis

/// Reads and operates queues, jobs and workers: what the API, the CLI and the dashboard
/// show and do. Talks to Redis directly, so the CLI works while the API is down.
public struct Inspector: Sendable {
    public let broker: Broker

    public init(broker: Broker) {
        self.broker = broker
    }

    private var keys: OffloadKeys { broker.keys }

    // MARK: Jobs

    public func job(_ id: String) async throws(OffloadError) -> JobRecord {
        guard let queue = JobID.queue(of: id) else { throw OffloadError(.notFound, "no job '\(id.prefix(200))'") }
        let reply = try await broker.send("HGETALL", .string(keys.queue(queue).job(id)))
        guard let fields = reply.fieldMap, !fields.isEmpty, let record = JobRecord(id: id, queue: queue, fields: fields) else {
            throw OffloadError(.notFound, "no job '\(id)'")
        }
        return record
    }

    /// Jobs of one state, oldest first for waiting states and newest first for finished
    /// ones. The cursor is the offset of the next page.
    public func jobs(queue: String, state: JobState, cursor: String? = nil, limit: Int = 50) async throws(OffloadError) -> JobPage {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        guard (1...1000).contains(limit) else { throw OffloadError(.invalid, "limit must be in 1...1000") }
        let offset: Int
        if let cursor {
            guard let value = Int(cursor), value >= 0 else { throw OffloadError(.invalid, "invalid cursor") }
            offset = value
        } else {
            offset = 0
        }
        let queueKeys = keys.queue(queue)
        let newestFirst = state.isFinished
        var range: [RedisArgument] = ["ZRANGE", .string(queueKeys.set(for: state)), .int(offset), .int(offset + limit - 1)]
        if newestFirst { range.append("REV") }
        let ids = (try await broker.send(range).array ?? []).compactMap(\.string)
        let replies = try await broker.pipeline(ids.map { RedisCommand("HGETALL", .string(queueKeys.job($0))) })
        // A finished job whose hash expired may linger in its set until the next trim.
        let jobs = zip(ids, replies).compactMap { id, reply in
            reply.fieldMap.flatMap { JobRecord(id: id, queue: queue, fields: $0) }
        }
        return JobPage(jobs: jobs, nextCursor: ids.count == limit ? String(offset + limit) : nil)
    }

    public func cancel(_ id: String) async throws(OffloadError) -> JobState {
        guard let queue = JobID.queue(of: id) else { throw OffloadError(.notFound, "no job '\(id.prefix(200))'") }
        let queueKeys = keys.queue(queue)
        let reply = try await broker.run(
            LuaScripts.cancel,
            keys: [queueKeys.job(id), queueKeys.pending, queueKeys.scheduled, queueKeys.cancelled, queueKeys.events],
            arguments: [
                .string(id), .string(String(broker.clock.nowMilliseconds())), .int(broker.settings.defaultResultTTLSeconds),
                .int(broker.settings.eventsMaxLength),
            ]
        )
        switch reply.string {
        case "now-cancelled": return .cancelled
        case "cancelling": return .active
        case "missing": throw OffloadError(.notFound, "no job '\(id)'")
        case let state?: throw OffloadError(.conflict, "job '\(id)' is already \(state)")
        case nil: throw OffloadError(.internalError, "cancel returned \(reply)")
        }
    }

    /// Runs a dead or cancelled job again with fresh attempts.
    public func retry(_ id: String) async throws(OffloadError) {
        guard let queue = JobID.queue(of: id) else { throw OffloadError(.notFound, "no job '\(id.prefix(200))'") }
        let queueKeys = keys.queue(queue)
        let reply = try await broker.run(
            LuaScripts.retry,
            keys: [
                queueKeys.job(id), queueKeys.dead, queueKeys.cancelled, queueKeys.pending, queueKeys.sequence,
                queueKeys.signal, queueKeys.events,
            ],
            arguments: [.string(id), .int(broker.settings.eventsMaxLength)]
        )
        switch reply.string {
        case "retried": return
        case "missing": throw OffloadError(.notFound, "no job '\(id)'")
        case let state?: throw OffloadError(.conflict, "job '\(id)' is \(state); only dead or cancelled jobs can be retried")
        case nil: throw OffloadError(.internalError, "retry returned \(reply)")
        }
    }

    // MARK: Queues

    public func queueNames() async throws(OffloadError) -> [String] {
        let reply = try await broker.send("SMEMBERS", .string(keys.queues))
        return (reply.array ?? []).compactMap(\.string).sorted()
    }

    /// Counts per state of every known queue, in one round trip.
    public func counts() async throws(OffloadError) -> [String: QueueCounts] {
        let names = try await queueNames()
        let states = JobState.allCases
        let commands = names.flatMap { name in states.map { RedisCommand("ZCARD", .string(keys.queue(name).set(for: $0))) } }
        let replies = try await broker.pipeline(commands)
        var result: [String: QueueCounts] = [:]
        for (queueIndex, name) in names.enumerated() {
            var counts = QueueCounts()
            for (stateIndex, state) in states.enumerated() {
                counts[state] = replies[queueIndex * states.count + stateIndex].int ?? 0
            }
            result[name] = counts
        }
        return result
    }

    public func queues() async throws(OffloadError) -> [QueueInfo] {
        let names = try await queueNames()
        let counts = try await self.counts()
        let now = broker.clock.nowMilliseconds()
        let lastMinute = now / 60_000 - 1
        var commands: [RedisCommand] = []
        for name in names {
            let queueKeys = keys.queue(name)
            commands.append(RedisCommand("EXISTS", .string(queueKeys.paused)))
            commands.append(RedisCommand("ZRANGE", .string(queueKeys.pending), "0", "0"))
            commands.append(RedisCommand("HMGET", .string(queueKeys.stats(minute: lastMinute)), "processed", "failed"))
            commands.append(RedisCommand("HGET", .string(queueKeys.settings), "max_depth"))
        }
        let replies = try await broker.pipeline(commands)
        // The oldest pending job's age comes from its created time.
        var oldest: [String: String] = [:]
        for (index, name) in names.enumerated() {
            if let id = replies[index * 4 + 1].array?.first?.string { oldest[name] = id }
        }
        let created = try await broker.pipeline(oldest.map { RedisCommand("HGET", .string(keys.queue($0.key).job($0.value)), "ctime") })
        let createdAt = Dictionary(uniqueKeysWithValues: zip(oldest.keys, created.map { $0.int }))
        return names.enumerated().map { index, name in
            let stats = replies[index * 4 + 2].array ?? []
            let ageMs = createdAt[name].flatMap { $0 }.map { max(0, Int(now) - $0) } ?? 0
            return QueueInfo(
                name: name, counts: counts[name] ?? QueueCounts(), paused: replies[index * 4].int == 1,
                oldestPendingAgeSeconds: Double(ageMs) / 1000,
                processedPerMinute: stats.first?.int ?? 0, failedPerMinute: stats.dropFirst().first?.int ?? 0,
                maxDepth: replies[index * 4 + 3].int.flatMap { $0 > 0 ? $0 : nil })
        }
    }

    /// Processed and failed counts per minute over the last `minutes` minutes, oldest first;
    /// the last entry is the current, still filling minute. One pipeline of HMGETs.
    public func throughput(queue: String, minutes: Int = 15) async throws(OffloadError) -> [MinuteStats] {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        guard (1...120).contains(minutes) else { throw OffloadError(.invalid, "minutes must be in 1...120") }
        let queueKeys = keys.queue(queue)
        let current = broker.clock.nowMilliseconds() / 60_000
        let range = (current - Int64(minutes) + 1)...current
        let replies = try await broker.pipeline(
            range.map { RedisCommand("HMGET", .string(queueKeys.stats(minute: $0)), "processed", "failed") })
        return zip(range, replies).map { minute, reply in
            let fields = reply.array ?? []
            return MinuteStats(
                minute: minute, processed: fields.first?.int ?? 0, failed: fields.dropFirst().first?.int ?? 0)
        }
    }

    /// Paused: submits still work, nothing is claimed.
    public func pause(queue: String) async throws(OffloadError) {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        _ = try await broker.pipeline([
            RedisCommand("SET", .string(keys.queue(queue).paused), "1"), RedisCommand("SADD", .string(keys.queues), .string(queue)),
        ])
    }

    public func resume(queue: String) async throws(OffloadError) {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        let queueKeys = keys.queue(queue)
        // Wake blocked workers so they claim what piled up.
        _ = try await broker.pipeline([RedisCommand("DEL", .string(queueKeys.paused)), RedisCommand("LPUSH", .string(queueKeys.signal), "1")])
    }

    /// Backpressure: past `maxDepth` waiting jobs, submits fail with `queueFull`. nil removes it.
    public func setMaxDepth(queue: String, _ maxDepth: Int?) async throws(OffloadError) {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        let queueKeys = keys.queue(queue)
        if let maxDepth {
            guard maxDepth > 0 else { throw OffloadError(.invalid, "max depth must be positive") }
            _ = try await broker.pipeline([
                RedisCommand("HSET", .string(queueKeys.settings), "max_depth", .int(maxDepth)),
                RedisCommand("SADD", .string(keys.queues), .string(queue)),
            ])
        } else {
            try await broker.send("HDEL", .string(queueKeys.settings), "max_depth")
        }
    }

    /// Deletes every job of one state (not `active`: those belong to running workers).
    public func purge(queue: String, state: JobState) async throws(OffloadError) -> Int {
        guard Validation.isQueueName(queue) else { throw OffloadError(.invalid, "invalid queue name") }
        guard state != .active else { throw OffloadError(.invalid, "active jobs cannot be purged; cancel them") }
        let queueKeys = keys.queue(queue)
        var total = 0
        while true {
            let deleted = try await broker.run(
                LuaScripts.purge, keys: [queueKeys.set(for: state)], arguments: [.string(queueKeys.jobPrefix), 500]
            ).int ?? 0
            total += deleted
            if deleted < 500 { return total }
        }
    }

    /// Run totals per queue and job type, for /metrics.
    public func runTotals() async throws(OffloadError) -> [RunTotals] {
        let names = try await queueNames()
        let replies = try await broker.pipeline(names.map { RedisCommand("HGETALL", .string(keys.queue($0).runTotals)) })
        var totals: [RunTotals] = []
        for (name, reply) in zip(names, replies) {
            var byType: [String: RunTotals] = [:]
            for (field, value) in reply.fieldMap ?? [:] {
                guard let bar = field.lastIndex(of: "|"), let count = value.int else { continue }
                let kind = field[..<bar]
                let type = String(field[field.index(after: bar)...])
                var entry = byType[type] ?? RunTotals(queue: name, type: type)
                switch kind {
                case "processed": entry.processed = count
                case "failed": entry.failed = count
                case "ms": entry.totalMilliseconds = count
                default:
                    if kind.hasPrefix("le:") { entry.buckets[String(kind.dropFirst(3))] = count }
                }
                byType[type] = entry
            }
            totals += byType.values.sorted { $0.type < $1.type }
        }
        return totals
    }

    // MARK: Workers

    /// Live workers: those whose registry entry has not expired.
    public func workers() async throws(OffloadError) -> [WorkerInfo] {
        let ids = (try await broker.send("ZRANGE", .string(keys.workers), "0", "-1").array ?? []).compactMap(\.string)
        guard !ids.isEmpty else { return [] }
        let replies = try await broker.send(["MGET"] + ids.map { .string(keys.worker($0)) })
        var live: [WorkerInfo] = []
        var gone: [RedisArgument] = []
        for (id, reply) in zip(ids, replies.array ?? []) {
            if let json = reply.string, let info = try? OffloadJSON.decoder().decode(WorkerInfo.self, from: Data(json.utf8)) {
                live.append(info)
            } else {
                gone.append(.string(id))
            }
        }
        if !gone.isEmpty { try await broker.send(["ZREM", .string(keys.workers)] + gone) }
        return live.sorted { $0.id < $1.id }
    }

    // MARK: Job types

    public func jobTypes() async throws(OffloadError) -> Set<String> {
        let reply = try await broker.send("HKEYS", .string(keys.jobTypes))
        return Set((reply.array ?? []).compactMap(\.string))
    }
}
