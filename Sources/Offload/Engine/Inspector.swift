import Foundation
import OffloadRedis

/// Reads and operates queues, jobs and workers: what the API, the CLI and the dashboard
/// show and do. Talks to Redis directly, so the CLI works while the API is down.
public struct Inspector: Sendable {
    package let broker: Broker

    package init(broker: Broker) {
        self.broker = broker
    }

    private var keys: OffloadKeys { broker.keys }

    /// How many jobs one page of ``jobs(queue:state:cursor:limit:)`` may list.
    package static let pageLimits = 1...1000
    /// How many minutes of per-minute figures ``throughput(queue:minutes:)`` reads at most.
    package static let statsMinutes = 1...120

    // MARK: Jobs

    /// The job as it is now; `not_found` when the id names no job (or its result expired).
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
        try Validation.checkQueueName(queue)
        try Validation.check(limit, in: Self.pageLimits, field: "limit")
        let offset: Int
        if let cursor {
            // An offset handed out by an earlier page: 1-9 digits, so offset + limit cannot overflow.
            guard (1...9).contains(cursor.utf8.count), cursor.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let value = Int(cursor)
            else {
                throw OffloadError(invalid: "cursor", "must be the next cursor of an earlier page")
            }
            offset = value
        } else {
            offset = 0
        }
        let queueKeys = keys.queue(queue)
        let ids: [String]
        if let set = queueKeys.set(for: state) {
            var range: [RedisArgument] = ["ZRANGE", .string(set), .int(offset), .int(offset + limit - 1)]
            if state.isFinished { range.append("REV") }
            ids = (try await broker.send(range).array ?? []).compactMap(\.string)
        } else {
            ids = try await broker.run(PendingPageScript(queue: queueKeys, offset: offset, limit: limit)).ids
        }
        let replies = try await broker.pipeline(ids.map { RedisCommand("HGETALL", .string(queueKeys.job($0))) })
        // A finished job whose hash expired may linger in its set until the next trim.
        let jobs = zip(ids, replies).compactMap { id, reply in
            reply.fieldMap.flatMap { JobRecord(id: id, queue: queue, fields: $0) }
        }
        return JobPage(jobs: jobs, nextCursor: ids.count == limit ? String(offset + limit) : nil)
    }

    /// Cancels a pending or scheduled job at once (`.cancelled`); a running one is told
    /// through its context (`.active`). `conflict` when it has already finished.
    public func cancel(_ id: String) async throws(OffloadError) -> JobState {
        guard let queue = JobID.queue(of: id) else { throw OffloadError(.notFound, "no job '\(id.prefix(200))'") }
        let call = CancelScript(id: id, queue: keys.queue(queue), now: broker.clock.nowMilliseconds(), settings: broker.settings)
        switch try await broker.run(call) {
        case .cancelled: return .cancelled
        case .cancelling: return .active
        case .missing: throw OffloadError(.notFound, "no job '\(id)'")
        case .finished(let state): throw OffloadError(.conflict, "job '\(id)' is already \(state)")
        }
    }

    /// Runs every job of the queue that is dead now again, once each: a job that dies again
    /// meanwhile is not picked up a second time (its new time of death is past the newest
    /// one when the walk began). Returns how many were retried.
    public func retryAllDead(queue: String) async throws(OffloadError) -> Int {
        try Validation.checkQueueName(queue)
        let dead = keys.queue(queue).dead
        let newest = try await broker.send("ZRANGE", .string(dead), "-1", "-1", "WITHSCORES").array ?? []
        guard newest.count == 2, let cutoff = newest[1].string else { return 0 }
        var retried = 0
        while true {
            let page = try await broker.send("ZRANGEBYSCORE", .string(dead), "-inf", .string(cutoff), "LIMIT", "0", "500")
            let ids = (page.array ?? []).compactMap(\.string)
            if ids.isEmpty { return retried }
            for id in ids {
                do {
                    try await retry(id)
                    retried += 1
                } catch where error.code == .notFound || error.code == .conflict {
                    // Gone or no longer dead (retried by someone else): the script dropped its entry.
                }
            }
        }
    }

    /// Runs a dead or cancelled job again with fresh attempts.
    public func retry(_ id: String) async throws(OffloadError) {
        guard let queue = JobID.queue(of: id) else { throw OffloadError(.notFound, "no job '\(id.prefix(200))'") }
        switch try await broker.run(RetryScript(id: id, queue: keys.queue(queue), settings: broker.settings)) {
        case .retried: return
        case .missing: throw OffloadError(.notFound, "no job '\(id)'")
        case .notRetryable(let state):
            throw OffloadError(.conflict, "job '\(id)' is \(state); only dead or cancelled jobs can be retried")
        }
    }

    // MARK: Queues

    /// Every known queue's name, sorted.
    public func queueNames() async throws(OffloadError) -> [String] {
        let reply = try await broker.send("SMEMBERS", .string(keys.queues))
        return (reply.array ?? []).compactMap(\.string).sorted()
    }

    /// Counts per state of every known queue, in one round trip.
    public func counts() async throws(OffloadError) -> [String: QueueCounts] {
        let names = try await queueNames()
        let states = try await queueStates(names)
        return Dictionary(uniqueKeysWithValues: zip(names, states.map(\.counts)))
    }

    /// Every known queue with its counts, oldest pending age, throughput and settings.
    public func queues() async throws(OffloadError) -> [QueueInfo] {
        let names = try await queueNames()
        let states = try await queueStates(names)
        let now = broker.clock.nowMilliseconds()
        let lastMinute = now / 60_000 - 1
        var commands: [RedisCommand] = []
        for name in names {
            let queueKeys = keys.queue(name)
            commands.append(RedisCommand("EXISTS", .string(queueKeys.paused)))
            commands.append(RedisCommand("HMGET", .string(queueKeys.stats(minute: lastMinute)), "processed", "failed"))
            commands.append(Self.readSettings(queueKeys))
        }
        let replies = try await broker.pipeline(commands)
        var nodes: [String?] = []
        for name in names { nodes.append(try await broker.node(of: name)) }
        return zip(names, states).enumerated().map { index, entry in
            let (name, state) = entry
            let stats = replies[index * 3 + 1].array ?? []
            // A job's created time is in its id.
            let ageMs = state.oldestPending.flatMap(JobID.milliseconds(of:)).map { max(0, now - $0) } ?? 0
            return QueueInfo(
                name: name, counts: state.counts, paused: replies[index * 3].int == 1,
                oldestPendingAgeSeconds: Double(ageMs) / 1000,
                processedPerMinute: stats.first?.int ?? 0, failedPerMinute: stats.dropFirst().first?.int ?? 0,
                settings: Self.settings(from: replies[index * 3 + 2]), node: nodes[index])
        }
    }

    /// Counts per state and the oldest waiting job of each queue: one script call per
    /// queue, all in one pipeline.
    private func queueStates(_ names: [String]) async throws(OffloadError) -> [(counts: QueueCounts, oldestPending: String?)] {
        let calls = names.map { QueueStateScript(queue: keys.queue($0)) }
        var commands: [RedisCommand] = []
        for call in calls { commands.append(broker.scriptCommand(call)) }
        let replies = try await broker.pipeline(commands)
        var states: [(counts: QueueCounts, oldestPending: String?)] = []
        for (call, reply) in zip(calls, replies) {
            let state = try broker.decode(reply, of: call)
            states.append((state.counts, state.oldestPending))
        }
        return states
    }

    /// Processed and failed counts per minute over the last `minutes` minutes, oldest first;
    /// the last entry is the current, still filling minute. One pipeline of HMGETs.
    public func throughput(queue: String, minutes: Int = 15) async throws(OffloadError) -> [MinuteStats] {
        try Validation.checkQueueName(queue)
        try Validation.check(minutes, in: Self.statsMinutes, field: "minutes")
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

    /// Paused: submits still work, nothing is claimed. Only a known queue: a mistyped name
    /// must not make a queue that nothing serves.
    public func pause(queue: String) async throws(OffloadError) {
        try await requireKnown(queue)
        _ = try await broker.send("SET", .string(keys.queue(queue).paused), "1")
    }

    /// Lets workers claim from a paused queue again; `not_found` for an unknown queue.
    public func resume(queue: String) async throws(OffloadError) {
        try await requireKnown(queue)
        let queueKeys = keys.queue(queue)
        // Wake blocked workers so they claim what piled up; the list stays within the scripts'
        // bound of 64 wake-ups, however often a queue no worker serves is resumed.
        try await broker.write([
            RedisCommand("DEL", .string(queueKeys.paused)), RedisCommand("LPUSH", .string(queueKeys.signal), "1"),
            RedisCommand("LTRIM", .string(queueKeys.signal), "0", "63"),
        ])
    }

    /// A queue's settings as stored (nil: the engine's default).
    public func settings(queue: String) async throws(OffloadError) -> QueueSettings {
        try Validation.checkQueueName(queue)
        return Self.settings(from: try await broker.send(Self.readSettings(keys.queue(queue)).arguments))
    }

    /// Replaces a queue's settings: those set are stored, those nil go back to the default.
    /// The scripts read them on each call, so they apply from the next submit, claim or
    /// finished job on.
    public func setSettings(queue: String, _ settings: QueueSettings) async throws(OffloadError) {
        try Validation.checkQueueName(queue)
        try settings.validate()
        let queueKeys = keys.queue(queue)
        var set: [RedisArgument] = ["HSET", .string(queueKeys.settings)]
        var unset: [RedisArgument] = ["HDEL", .string(queueKeys.settings)]
        for field in QueueSettings.fields {
            if let value = settings[keyPath: field.keyPath] {
                set += [.string(field.hashField), .int(value)]
            } else {
                unset.append(.string(field.hashField))
            }
        }
        var commands = [RedisCommand("SADD", .string(keys.queues), .string(queue))]
        if unset.count > 2 { commands.append(RedisCommand(unset)) }
        if set.count > 2 { commands.append(RedisCommand(set)) }
        try await broker.write(commands)
    }

    private static func readSettings(_ queueKeys: QueueKeys) -> RedisCommand {
        RedisCommand(["HMGET", .string(queueKeys.settings)] + QueueSettings.fields.map { .string($0.hashField) })
    }

    private static func settings(from reply: RESPValue) -> QueueSettings {
        var settings = QueueSettings()
        for (field, value) in zip(QueueSettings.fields, reply.array ?? []) {
            settings[keyPath: field.keyPath] = value.int.flatMap { field.range.contains($0) ? $0 : nil }
        }
        return settings
    }

    /// A queue exists from its first job (or settings) until it is removed.
    private func requireKnown(_ queue: String) async throws(OffloadError) {
        try Validation.checkQueueName(queue)
        guard try await broker.send("SISMEMBER", .string(keys.queues), .string(queue)).int == 1 else {
            throw OffloadError(.notFound, "no queue '\(queue)'")
        }
    }

    /// Removes a queue from the list and deletes its keys. It must hold no job, or with
    /// `force` no running one (those belong to workers): its other jobs are purged first,
    /// so whoever waits on them learns they are gone. Returns how many jobs were deleted.
    /// A later submit to the same name starts the queue afresh.
    public func removeQueue(_ queue: String, force: Bool) async throws(OffloadError) -> Int {
        try await requireKnown(queue)
        let queueKeys = keys.queue(queue)
        var deleted = 0
        if force {
            // Paused first: no worker claims a job while the others are deleted, so a queue
            // with jobs running is refused before anything is deleted, and stays so.
            let wasPaused = try await broker.send("EXISTS", .string(queueKeys.paused)).int == 1
            _ = try await broker.send("SET", .string(queueKeys.paused), "1")
            let running = try await broker.send("ZCARD", .string(queueKeys.active)).int ?? 0
            if running > 0 {
                if !wasPaused { _ = try? await broker.send("DEL", .string(queueKeys.paused)) }
                throw Self.notEmpty(queue, running: running)
            }
        }
        // A submit can slip in between the purge and the removal: purge again, a few times.
        for _ in 0..<5 {
            if force {
                for state in [JobState.pending, .scheduled, .completed, .cancelled, .dead] {
                    deleted += try await purge(queue: queue, state: state)
                }
            }
            // Off the list first: a submit that comes after the removal finds the queue's
            // events stream gone and lists it again; one that comes before it makes the
            // removal refuse, and the queue goes back on the list.
            _ = try await broker.send("SREM", .string(keys.queues), .string(queue))
            let reply: RemoveQueueScript.Reply
            do {
                reply = try await broker.run(RemoveQueueScript(queue: queueKeys))
            } catch {
                _ = try? await broker.send("SADD", .string(keys.queues), .string(queue))
                throw error
            }
            guard case .notEmpty(let left) = reply else {
                broker.forgetRegistration(of: queue)
                return deleted
            }
            _ = try await broker.send("SADD", .string(keys.queues), .string(queue))
            if !force {
                let jobs = QueueStateScript.countedStates.reduce(0) { $0 + left[$1] }
                throw Self.notEmpty(queue, running: left.active, jobs: jobs)
            }
        }
        throw OffloadError(
            .conflict, "jobs keep arriving in queue '\(queue)' (\(deleted) deleted so far; the queue is paused); stop its producers first")
    }

    private static func notEmpty(_ queue: String, running: Int, jobs: Int = 0) -> OffloadError {
        if running > 0 {
            return OffloadError(
                .conflict, "queue '\(queue)' has \(running) jobs running or held by workers; let them finish or cancel them first")
        }
        return OffloadError(.conflict, "queue '\(queue)' holds \(jobs) jobs; purge them first, or remove it with force")
    }

    /// Deletes every job of one state (not `active`: those belong to running workers).
    public func purge(queue: String, state: JobState) async throws(OffloadError) -> Int {
        try Validation.checkQueueName(queue)
        guard state != .active else { throw OffloadError(invalid: "state", "must not be active: running jobs cannot be purged; cancel them") }
        let queueKeys = keys.queue(queue)
        let call = PurgeScript(queue: queueKeys, state: state, limit: 500, settings: broker.settings)
        var total = 0
        while true {
            let deleted = try await broker.run(call).deleted
            total += deleted
            if deleted < call.limit { return total }
        }
    }

    /// Run totals per queue and job type, for /metrics.
    package func runTotals() async throws(OffloadError) -> [RunTotals] {
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
        // One GET each, not MGET: on a cluster the workers' keys are in different slots.
        let replies = try await broker.pipeline(ids.map { RedisCommand("GET", .string(keys.worker($0))) })
        var live: [WorkerInfo] = []
        var gone: [RedisArgument] = []
        for (id, reply) in zip(ids, replies) {
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

    /// The job types some worker has published.
    public func jobTypes() async throws(OffloadError) -> Set<String> {
        let reply = try await broker.send("HKEYS", .string(keys.jobTypes))
        return Set((reply.array ?? []).compactMap(\.string))
    }
}
