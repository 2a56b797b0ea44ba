import NIOConcurrencyHelpers
import OffloadRedis

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The queue engine: submits jobs and carries out every job state change through the
/// Lua scripts in `Scripts/` (`QueueScripts`). Worker-side operations are in `Broker+Work.swift`;
/// reading and operating queues is the `Inspector`'s.
package final class Broker: Sendable {
    package let redis: RedisClient
    package let keys: OffloadKeys
    package let clock: any OffloadClock
    package let settings: BrokerSettings
    /// Queues this process added to the queue set, and when (ms): the SADD is skipped for
    /// a while, not for good, so a Redis that lost its data learns the queue back.
    private let registeredQueues = NIOLockedValueBox([String: Int64]())
    static let queueRegistrationMilliseconds: Int64 = 5_000
    /// The random part of job ids.
    private let idRandomness = NIOLockedValueBox(BufferedSystemRandom())
    private let submitGroup: SubmitGroup
    /// Which job types some worker serves: a submit of another type is refused.
    package let jobTypes: JobTypeCatalog

    package init(redis: RedisClient, settings: BrokerSettings = BrokerSettings(), clock: any OffloadClock = SystemClock()) {
        self.redis = redis
        self.settings = settings
        self.keys = OffloadKeys(prefix: settings.keyPrefix)
        self.clock = clock
        self.submitGroup = SubmitGroup(maxInFlight: redis.configuration.poolSize, maxBatch: Self.maxJobsPerEnqueue)
        self.jobTypes = JobTypeCatalog(redis: redis, key: keys.jobTypes)
    }

    // MARK: Submit

    /// Jobs per `enqueue` script call: a bigger batch is split, so no call holds Redis for
    /// more than about a millisecond.
    static let maxJobsPerEnqueue = 256

    /// Enqueues one job. Submits made at the same time ride one script call (`SubmitGroup`).
    package func submit(_ submission: JobSubmission) async throws(OffloadError) -> SubmittedJob {
        try await check(submission)
        return try await submitGroup.submit(submission) { submissions in
            do throws(OffloadError) {
                return try await self.enqueue(submissions)
            } catch {
                return Array(repeating: .failure(error), count: submissions.count)
            }
        }.get()
    }

    /// Enqueues many jobs in one Redis round trip. Each job gets its own outcome: an
    /// invalid or refused job does not stop the others. Redis unreachable fails them all.
    package func submit(batch submissions: [JobSubmission]) async throws(OffloadError) -> [Result<SubmittedJob, OffloadError>] {
        var outcomes = [Result<SubmittedJob, OffloadError>?](repeating: nil, count: submissions.count)
        var valid: [Int] = []
        for (index, submission) in submissions.enumerated() {
            do {
                try await check(submission)
                valid.append(index)
            } catch where error.code == .unavailable {
                throw error  // Redis, not the job: the whole batch is refused as retryable
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        let enqueued = try await enqueue(valid.map { submissions[$0] })
        for (index, outcome) in zip(valid, enqueued) { outcomes[index] = outcome }
        return outcomes.map { $0! }
    }

    /// What every submit must pass before it is written: its fields' rules, and a worker
    /// that serves its type (unless it says `allowUnknownType`).
    private func check(_ submission: JobSubmission) async throws(OffloadError) {
        try submission.validate()
        if !submission.allowUnknownType { try await jobTypes.requireKnown(submission.type) }
    }

    /// Enqueues validated jobs, in order, in one round trip: one `enqueue` call per queue
    /// (and per `maxJobsPerEnqueue` jobs), with an SADD of the queues this process has not
    /// put in the queue set yet.
    private func enqueue(_ submissions: [JobSubmission]) async throws(OffloadError) -> [Result<SubmittedJob, OffloadError>] {
        guard !submissions.isEmpty else { return [] }
        let now = clock.nowMilliseconds()
        var calls: [EnqueueCall] = []
        var openCall: [String: Int] = [:]  // queue → its call still taking jobs
        for (position, submission) in submissions.enumerated() {
            let call: Int
            if let open = openCall[submission.queue], calls[open].positions.count < Self.maxJobsPerEnqueue {
                call = open
            } else {
                calls.append(EnqueueCall(script: EnqueueScript(queue: keys.queue(submission.queue), now: now, settings: settings)))
                call = calls.count - 1
                openCall[submission.queue] = call
            }
            let id = idRandomness.withLockedValue { JobID.make(queue: submission.queue, milliseconds: now, using: &$0) }
            calls[call].script.add(submission, id: id)
            calls[call].positions.append(position)
        }
        var commands: [RedisCommand] = []
        commands.reserveCapacity(calls.count + 1)
        for call in calls {
            commands.append(scriptCommand(call.script))
        }
        let newQueues = registeredQueues.withLockedValue { known in
            Set(submissions.map(\.queue).filter { now - (known[$0] ?? .min / 2) >= Self.queueRegistrationMilliseconds })
        }
        if !newQueues.isEmpty {
            commands.append(RedisCommand(["SADD", .string(keys.queues)] + newQueues.sorted().map { .string($0) }))
        }
        let required = submissions.map { $0.minReplicas ?? settings.minReplicas }
        let (replies, confirmed) = try await pipeline(commands, confirmedBy: required.max() ?? 0)
        if !newQueues.isEmpty, replies.last?.int != nil { markRegistered(newQueues, at: now) }
        let decoded = zip(calls, replies).map { call, reply in
            Result { () throws(OffloadError) in try decode(reply, of: call.script) }
        }
        // A queue whose keys were gone (removed by another process, or lost with Redis's
        // data) is listed again now, not when this process's registration next falls due.
        let freshQueues = Set(zip(calls, decoded).compactMap { call, reply -> String? in
            (try? reply.get())?.queueIsNew == true ? call.script.queue : nil
        }).subtracting(newQueues)
        if !freshQueues.isEmpty {
            _ = try? await send(["SADD", .string(keys.queues)] + freshQueues.sorted().map { .string($0) })
            markRegistered(freshQueues, at: now)
        }
        var outcomes = [Result<SubmittedJob, OffloadError>](repeating: .failure(OffloadError(.internalError, "no reply")), count: submissions.count)
        for (callIndex, (call, reply)) in zip(calls, decoded).enumerated() {
            switch reply {
            case .success(let reply):
                for (position, job) in zip(call.positions, reply.jobs) {
                    outcomes[position] = Result { () throws(OffloadError) in
                        let submitted = try Self.submitted(job, for: submissions[position])
                        if let confirmed, confirmed[callIndex] < required[position] {
                            throw unconfirmed(
                                "job \(submitted.id) was written, but", confirmed: confirmed[callIndex], required: required[position],
                                then: "it is not accepted: submit it again with the same idempotency key")
                        }
                        return submitted
                    }
                }
            case .failure(let error):
                for position in call.positions { outcomes[position] = .failure(error) }
            }
        }
        return outcomes
    }

    /// One job's outcome of an `enqueue` call.
    private static func submitted(_ outcome: EnqueueScript.JobOutcome, for submission: JobSubmission) throws(OffloadError) -> SubmittedJob {
        switch outcome {
        case .submitted(let job):
            return job
        case .full(let depth, let maxDepth):
            throw OffloadError(
                .queueFull, "queue '\(submission.queue)' holds \(depth) jobs, its max depth is \(maxDepth)", retryAfterSeconds: 1)
        case .reused(let job):
            // As the IETF Idempotency-Key draft asks: a key stands for one request, so a retry
            // that is not the same request is a client error, not a second job or the first.
            throw OffloadError(
                .invalid,
                "the idempotency key '\(submission.idempotencyKey ?? "")' was used for job \(job), of another type or payload; use a new key for a new job")
        }
    }

    // MARK: Redis access, errors mapped once

    /// Runs one script call and decodes its reply.
    func run<Script: QueueScript>(_ call: Script) async throws(OffloadError) -> Script.Reply {
        let reply: RESPValue
        do {
            reply = try await redis.run(Script.script, keys: call.keys, arguments: call.arguments)
        } catch {
            throw OffloadError(error)
        }
        return try decode(reply, of: call)
    }

    /// The `EVALSHA` command of one script call, for a pipeline. The client reloads a
    /// script the server lost (`NOSCRIPT`) and sends the call again.
    func scriptCommand<Script: QueueScript>(_ call: Script) -> RedisCommand {
        redis.scriptCommand(Script.script, keys: call.keys, arguments: call.arguments)
    }

    /// A script call's reply from a pipeline; one its script does not allow is an internal error.
    func decode<Script: QueueScript>(_ reply: RESPValue, of call: Script) throws(OffloadError) -> Script.Reply {
        do {
            return try call.reply(from: reply)
        } catch {
            throw OffloadError(.internalError, error.description)
        }
    }

    /// On a cluster, the primary that holds `queue` (its slot, by the `{queue}` tag).
    func node(of queue: String) async throws(OffloadError) -> String? {
        guard redis.configuration.topology == .cluster else { return nil }
        do {
            return try await redis.node(forKey: keys.queue(queue).pendingLevels).description
        } catch {
            throw OffloadError(error)
        }
    }

    /// A pipeline of writes followed by `WAIT` on each server written to (when `replicas`
    /// > 0): `confirmed` holds, per reply, the replicas its server confirmed (nil when no
    /// confirmation was asked for). On a cluster each shard answers for its own writes, so
    /// a shard without its replica holds back only the writes it took.
    func pipeline(_ commands: [RedisCommand], confirmedBy replicas: Int) async throws(OffloadError) -> (replies: [RESPValue], confirmed: [Int]?) {
        guard replicas > 0 else { return (try await pipeline(commands), nil) }
        do {
            let wait = ReplicaWait(replicas: replicas, timeout: .milliseconds(settings.minReplicasTimeoutMilliseconds))
            let routed = try await redis.pipeline(commands, replicaWait: wait)
            return (routed.replies, routed.replicasConfirmed ?? routed.replies.map { _ in 0 })
        } catch {
            throw OffloadError(error)
        }
    }

    /// The 503 of a write that fewer replicas than required confirmed in time.
    func unconfirmed(_ what: String, confirmed: Int, required: Int, then consequence: String) -> OffloadError {
        OffloadError(
            .unavailable,
            "\(what) only \(confirmed) of the \(required) Redis replicas required confirmed it within "
                + "\(settings.minReplicasTimeoutMilliseconds) ms (a replica is down or behind, or the primary just failed over and has "
                + "no replica yet); \(consequence)",
            retryAfterSeconds: 1)
    }

    func pipeline(_ commands: [RedisCommand]) async throws(OffloadError) -> [RESPValue] {
        do {
            return try await redis.pipeline(commands)
        } catch {
            throw OffloadError(error)
        }
    }

    private func markRegistered(_ queues: Set<String>, at now: Int64) {
        registeredQueues.withLockedValue { known in
            for queue in queues { known[queue] = now }
        }
    }

    /// After the queue was removed: its next submit from this process adds it back at once.
    /// (Other processes add it back within `queueRegistrationMilliseconds`.)
    func forgetRegistration(of queue: String) {
        registeredQueues.withLockedValue { $0[queue] = nil }
    }

    /// A pipeline of writes that must all take effect: an error reply (a wrong type, a
    /// command the ACL user may not run) is thrown, not dropped.
    func write(_ commands: [RedisCommand]) async throws(OffloadError) {
        for reply in try await pipeline(commands) {
            if case .error(let message) = reply { throw OffloadError(RedisError.server(message)) }
        }
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

}

/// One `enqueue` call and where its jobs are in the submitted order.
private struct EnqueueCall {
    var script: EnqueueScript
    var positions: [Int] = []
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
