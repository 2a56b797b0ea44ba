import NIOConcurrencyHelpers
import OffloadRedis

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The queue engine: submits jobs and carries out every job state change through the
/// Lua scripts in `LuaScripts`. Worker-side operations are in `Broker+Work.swift`;
/// reading and operating queues is the `Inspector`'s.
public final class Broker: Sendable {
    public let redis: RedisClient
    public let keys: OffloadKeys
    public let clock: any OffloadClock
    public let settings: BrokerSettings
    /// Queues this process already added to the queue set, to skip the SADD next time.
    private let registeredQueues = NIOLockedValueBox(Set<String>())
    /// The random part of job ids.
    private let idRandomness = NIOLockedValueBox(BufferedSystemRandom())

    public init(redis: RedisClient, settings: BrokerSettings = BrokerSettings(), clock: any OffloadClock = SystemClock()) {
        self.redis = redis
        self.settings = settings
        self.keys = OffloadKeys(prefix: settings.keyPrefix)
        self.clock = clock
    }

    // MARK: Submit

    /// Enqueues one job: the path every API submit takes, so it skips the batch's
    /// bookkeeping.
    public func submit(_ submission: JobSubmission) async throws(OffloadError) -> SubmittedJob {
        try submission.validate()
        let command = try await enqueueCommand(submission, now: clock.nowMilliseconds())
        let replies = try await pipelineEnqueues([command], queues: CollectionOfOne(submission.queue))
        return try Self.submitted(from: replies[0], queue: submission.queue)
    }

    /// Enqueues many jobs in one Redis round trip. Each job gets its own outcome: an
    /// invalid or refused job does not stop the others.
    public func submit(batch submissions: [JobSubmission]) async throws(OffloadError) -> [Result<SubmittedJob, OffloadError>] {
        var outcomes = [Result<SubmittedJob, OffloadError>?](repeating: nil, count: submissions.count)
        var commands: [RedisCommand] = []
        var commandIndex: [Int] = []  // command position → submission position
        let now = clock.nowMilliseconds()
        for (index, submission) in submissions.enumerated() {
            do {
                try submission.validate()
                commands.append(try await enqueueCommand(submission, now: now))
                commandIndex.append(index)
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        let replies = try await pipelineEnqueues(commands, queues: submissions.lazy.map(\.queue))
        for (position, index) in commandIndex.enumerated() {
            outcomes[index] = Result { () throws(OffloadError) in try Self.submitted(from: replies[position], queue: submissions[index].queue) }
        }
        return outcomes.map { $0! }
    }

    /// Sends enqueue commands in one round trip, with an SADD of the queues this process
    /// has not put in the queue set yet; the replies are the commands' replies, in order.
    private func pipelineEnqueues(_ enqueues: [RedisCommand], queues: some Sequence<String>) async throws(OffloadError) -> [RESPValue] {
        let newQueues = registeredQueues.withLockedValue { known in
            Set(queues.filter { !known.contains($0) && Validation.isQueueName($0) })
        }
        var commands = enqueues
        if !newQueues.isEmpty {
            commands.append(RedisCommand(["SADD", .string(keys.queues)] + newQueues.sorted().map { .string($0) }))
        }
        let replies = try await pipelineWithScripts(commands)
        if !newQueues.isEmpty, replies.last?.int != nil {
            registeredQueues.withLockedValue { $0.formUnion(newQueues) }
        }
        return replies
    }

    private func enqueueCommand(_ submission: JobSubmission, now: Int64) async throws(OffloadError) -> RedisCommand {
        let id = idRandomness.withLockedValue { JobID.make(queue: submission.queue, milliseconds: now, using: &$0) }
        let queue = keys.queue(submission.queue)
        var runAt: Int64 = 0
        if let delay = submission.delaySeconds, delay > 0 { runAt = now + Int64(delay * 1000) }
        if let at = submission.runAtMilliseconds { runAt = at }
        var options: [RedisArgument] = []
        if let timeout = submission.timeoutSeconds { options += ["tmo", .int(timeout)] }
        if let ttl = submission.resultTTLSeconds { options += ["rttl", .int(ttl)] }
        if let lease = submission.leaseMilliseconds { options += ["lease", .int(lease)] }
        if let key = submission.idempotencyKey { options += ["idem", .string(key)] }
        let job = queue.job(id)
        return try await scriptCommand(
            LuaScripts.enqueue,
            keys: [
                queue.pendingLevels, queue.scheduled, queue.signal, queue.events, queue.settings, job,
                submission.idempotencyKey.map { queue.idempotency($0) } ?? job,
            ],
            arguments: [
                .string(id), .string(submission.type), .string(submission.payload), .string(String(now)),
                .string(String(runAt)), .int(submission.priority),
                .int(submission.maxAttempts ?? settings.defaultMaxAttempts), .int(settings.eventsMaxLength),
                .int(submission.idempotencyKey == nil ? 0 : settings.idempotencyTTLSeconds),
            ] + options
        )
    }

    private static func submitted(from reply: RESPValue, queue: String) throws(OffloadError) -> SubmittedJob {
        if case .error(let message) = reply { throw OffloadError(.internalError, "enqueue failed: \(message)") }
        guard let fields = reply.array, fields.count == 3, let status = fields[0].string else {
            throw OffloadError(.internalError, "enqueue returned \(reply)")
        }
        switch status {
        case "created", "existing":
            guard let id = fields[1].string else { throw OffloadError(.internalError, "enqueue returned no id") }
            return SubmittedJob(id: id, state: fields[2].string.flatMap(JobState.init(rawValue:)) ?? .completed, created: status == "created")
        case "full":
            throw OffloadError(
                .queueFull, "queue '\(queue)' holds \(fields[1].int ?? 0) jobs, its max depth is \(fields[2].int ?? 0)",
                retryAfterSeconds: 1)
        default:
            throw OffloadError(.internalError, "enqueue returned \(status)")
        }
    }

    // MARK: Redis access, errors mapped once

    func run(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws(OffloadError) -> RESPValue {
        do {
            return try await redis.run(script, keys: keys, arguments: arguments)
        } catch {
            throw OffloadError(error)
        }
    }

    func scriptCommand(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws(OffloadError) -> RedisCommand {
        do {
            return try await redis.scriptCommand(script, keys: keys, arguments: arguments)
        } catch {
            throw OffloadError(error)
        }
    }

    func pipeline(_ commands: [RedisCommand]) async throws(OffloadError) -> [RESPValue] {
        do {
            return try await redis.pipeline(commands)
        } catch {
            throw OffloadError(error)
        }
    }

    /// A pipeline holding script calls (`scriptCommand`). When Redis lost its scripts
    /// (restart, SCRIPT FLUSH) none of them ran, so they are loaded and the pipeline is
    /// sent again; its other commands must be safe to repeat.
    func pipelineWithScripts(_ commands: [RedisCommand]) async throws(OffloadError) -> [RESPValue] {
        let replies = try await pipeline(commands)
        guard replies.contains(where: { $0.isNoScript }) else { return replies }
        try await reload()
        return try await pipeline(commands)
    }

    @discardableResult
    func send(_ arguments: RedisArgument...) async throws(OffloadError) -> RESPValue {
        try await send(arguments)
    }

    @discardableResult
    func send(_ arguments: [RedisArgument]) async throws(OffloadError) -> RESPValue {
        do {
            return try await redis.send(RedisCommand(arguments))
        } catch {
            throw OffloadError(error)
        }
    }

    func reload() async throws(OffloadError) {
        do {
            try await redis.reloadScripts(LuaScripts.all)
        } catch {
            throw OffloadError(error)
        }
    }
}

extension RESPValue {
    var isNoScript: Bool {
        if case .error(let message) = self { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}

/// The system's random bytes (`arc4random_buf`: one `getrandom` call on Linux), read 256
/// at a time: `SystemRandomNumberGenerator` makes a system call per 8 bytes, two per job id.
struct BufferedSystemRandom: RandomNumberGenerator {
    private var words = [UInt64](repeating: 0, count: 32)
    private var position = 32

    mutating func next() -> UInt64 {
        if position == words.count {
            words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            position = 0
        }
        defer { position += 1 }
        return words[position]
    }
}
