import Foundation
import OffloadRedis

/// The worker's side of the engine: lease, heartbeat, finish, recover.
extension Broker {
    /// Promotes due scheduled jobs, then leases up to `limit` pending jobs of one queue.
    package func claim(queue: String, limit: Int, token: String, workerID: String) async throws(OffloadError) -> ClaimResult {
        let keys = self.keys.queue(queue)
        let reply = try await run(
            LuaScripts.claim,
            keys: [keys.pendingLevels, keys.scheduled, keys.active, keys.signal, keys.paused, keys.events],
            arguments: [
                .string(String(clock.nowMilliseconds())), .int(limit), .string(token), .string(workerID),
                .int(settings.defaultLeaseMilliseconds), .string(keys.jobPrefix), .int(settings.eventsMaxLength),
            ]
        )
        guard let fields = reply.array, let next = fields.first?.int, (fields.count - 1) % 7 == 0 else {
            throw OffloadError(.internalError, "claim returned \(reply)")
        }
        var jobs: [ClaimedJob] = []
        var index = 1
        while index < fields.count {
            jobs.append(
                ClaimedJob(
                    id: fields[index].string ?? "", queue: queue, type: fields[index + 1].string ?? "",
                    payload: fields[index + 2].string ?? "{}", attempt: fields[index + 3].int ?? 1,
                    maxAttempts: fields[index + 4].int ?? 1,
                    timeoutSeconds: fields[index + 5].int.flatMap { $0 > 0 ? $0 : nil },
                    leaseMilliseconds: fields[index + 6].int ?? settings.defaultLeaseMilliseconds, token: token))
            index += 7
        }
        return ClaimResult(jobs: jobs, nextDueMilliseconds: next >= 0 ? Int64(next) : nil, paused: next == -2)
    }

    /// Blocks (on its own connection, never a thread) until a job is submitted to one of
    /// the queues or `timeout` passes. Returns true when woken by a submit.
    package func waitForWork(on connection: RedisDedicatedConnection, queues: [String], timeout: Duration) async throws(OffloadError) -> Bool {
        // BLPOP takes seconds with decimals; 0 would mean "forever".
        let seconds = max(0.01, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        var arguments: [RedisArgument] = ["BLPOP"]
        arguments += queues.map { .string(keys.queue($0).signal) }
        arguments.append(.string(String(format: "%.3f", seconds)))
        do {
            let reply = try await connection.send(RedisCommand(arguments), timeout: timeout + .seconds(5))
            return !reply.isNull
        } catch {
            throw OffloadError(error)
        }
    }

    /// Stores the result; false when the lease was lost (the result is then discarded,
    /// because another run owns the job).
    package func complete(_ job: ClaimedJob, resultJSON: String) async throws(OffloadError) -> Bool {
        try await complete([(job, resultJSON)])[0]
    }

    /// Stores many results in one round trip (one script call per queue); per job, false
    /// when its lease was lost.
    package func complete(_ results: [(job: ClaimedJob, resultJSON: String)]) async throws(OffloadError) -> [Bool] {
        let now = String(clock.nowMilliseconds())
        let byQueue = Dictionary(grouping: results.indices, by: { results[$0].job.queue })
        var commands: [RedisCommand] = []
        for (queue, indices) in byQueue {
            let keys = self.keys.queue(queue)
            var arguments: [RedisArgument] = [
                .string(now), .int(settings.defaultResultTTLSeconds), .int(settings.eventsMaxLength), .string(keys.statsPrefix),
                .string(keys.jobPrefix),
            ]
            for index in indices {
                let (job, resultJSON) = results[index]
                arguments += [.string(job.id), .string(job.token), .string(resultJSON)]
            }
            commands.append(try await scriptCommand(LuaScripts.complete, keys: [keys.active, keys.completed, keys.events, keys.settings], arguments: arguments))
        }
        let replies = try await pipelineWithScripts(commands)
        var stored = [Bool](repeating: false, count: results.count)
        for ((_, indices), reply) in zip(byQueue, replies) {
            if case .error(let message) = reply { throw OffloadError(.internalError, "complete failed: \(message)") }
            guard let flags = reply.array, flags.count == indices.count else {
                throw OffloadError(.internalError, "complete returned \(reply)")
            }
            for (index, flag) in zip(indices, flags) { stored[index] = flag.int == 1 }
        }
        return stored
    }

    package func fail(_ job: ClaimedJob, error: JobError, disposition: FailDisposition = .retry) async throws(OffloadError) -> FailOutcome {
        let keys = self.keys.queue(job.queue)
        let reply = try await run(
            LuaScripts.fail,
            keys: [keys.job(job.id), keys.active, keys.scheduled, keys.dead, keys.cancelled, keys.signal, keys.events, keys.settings],
            arguments: [
                .string(job.id), .string(job.token), .string(error.jsonText), .string(String(clock.nowMilliseconds())),
                .int(retryDelayMilliseconds(attempt: job.attempt)), .string(disposition.rawValue),
                .int(settings.deadMaxCount), .string(String(settings.deadMaxAgeMilliseconds)),
                .int(settings.defaultResultTTLSeconds), .string(keys.jobPrefix), .int(settings.eventsMaxLength),
                .string(keys.statsPrefix),
            ]
        )
        guard let outcome = reply.string.flatMap(FailOutcome.init(rawValue:)) else {
            throw OffloadError(.internalError, "fail returned \(reply)")
        }
        return outcome
    }

    /// Exponential backoff with full jitter: uniform in [0, min(cap, base · 2^(attempt-1))].
    package func retryDelayMilliseconds(attempt: Int) -> Int {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(settings.retryCapMilliseconds, settings.retryBaseMilliseconds << exponent)
        return ceiling > 0 ? Int.random(in: 0...ceiling) : 0
    }

    /// Heartbeat for the jobs one worker runs in one queue.
    package func extendLeases(queue: String, jobs: [ClaimedJob]) async throws(OffloadError) -> (lost: Set<String>, cancelRequested: Set<String>) {
        guard !jobs.isEmpty else { return ([], []) }
        let keys = self.keys.queue(queue)
        var arguments: [RedisArgument] = [.string(String(clock.nowMilliseconds())), .string(keys.jobPrefix)]
        for job in jobs { arguments += [.string(job.id), .string(job.token), .int(job.leaseMilliseconds)] }
        let reply = try await run(LuaScripts.extendLeases, keys: [keys.active], arguments: arguments)
        guard let parts = reply.array, parts.count == 2 else { throw OffloadError(.internalError, "extend returned \(reply)") }
        let lost = Set((parts[0].array ?? []).compactMap(\.string))
        let cancel = Set((parts[1].array ?? []).compactMap(\.string))
        return (lost, cancel)
    }

    /// Stores progress (clamped to 0–100); false when the lease was lost.
    package func reportProgress(_ job: ClaimedJob, percent: Int, message: String) async throws(OffloadError) -> Bool {
        let keys = self.keys.queue(job.queue)
        let reply = try await run(
            LuaScripts.progress,
            keys: [keys.job(job.id), keys.events],
            arguments: [
                .string(job.id), .string(job.token), .int(min(100, max(0, percent))), .string(message),
                .int(settings.eventsMaxLength),
            ]
        )
        return reply.int == 1
    }

    /// Returns jobs whose lease expired to pending (or dead when out of attempts, or
    /// cancelled when cancellation was requested).
    @discardableResult
    package func reapExpiredLeases(queue: String, limit: Int = 100) async throws(OffloadError) -> (requeued: Int, dead: Int) {
        let keys = self.keys.queue(queue)
        let error = JobError(type: "lease_expired", message: "the worker running the job stopped heartbeating (crashed, killed or stalled)")
        let reply = try await run(
            LuaScripts.reap,
            keys: [keys.active, keys.pendingLevels, keys.dead, keys.signal, keys.events, keys.cancelled, keys.completed, keys.settings],
            arguments: [
                .string(String(clock.nowMilliseconds())), .string(keys.jobPrefix), .int(limit), .int(settings.deadMaxCount),
                .string(String(settings.deadMaxAgeMilliseconds)), .int(settings.eventsMaxLength), .string(error.jsonText),
                .string(keys.statsPrefix), .int(settings.defaultResultTTLSeconds),
            ]
        )
        let counts = reply.array ?? []
        return (counts.first?.int ?? 0, counts.dropFirst().first?.int ?? 0)
    }

    /// Hands a running job back to pending without counting the run (graceful shutdown);
    /// a job whose cancellation was requested ends cancelled instead.
    package func release(_ job: ClaimedJob) async throws(OffloadError) -> Bool {
        let keys = self.keys.queue(job.queue)
        let reply = try await run(
            LuaScripts.release,
            keys: [keys.job(job.id), keys.active, keys.pendingLevels, keys.signal, keys.events, keys.cancelled, keys.settings],
            arguments: [
                .string(job.id), .string(job.token), .int(settings.eventsMaxLength), .string(String(clock.nowMilliseconds())),
                .int(settings.defaultResultTTLSeconds),
            ]
        )
        return reply.int == 1
    }

    /// Gives back, uncounted, every job of `queue` still held by a worker process that is
    /// gone (see the `release-worker` script); returns how many.
    package func releaseJobs(ofWorker workerID: String, queue: String) async throws(OffloadError) -> Int {
        let keys = self.keys.queue(queue)
        let reply = try await run(
            LuaScripts.releaseWorker,
            keys: [keys.active, keys.pendingLevels, keys.signal, keys.events, keys.cancelled, keys.settings],
            arguments: [
                .string(workerID), .string(keys.jobPrefix), .int(settings.eventsMaxLength), .string(String(clock.nowMilliseconds())),
                .int(settings.defaultResultTTLSeconds),
            ])
        return reply.int ?? 0
    }

    /// Records this worker process in the registry; the entry expires unless refreshed.
    package func registerWorker(_ info: WorkerInfo, ttlSeconds: Int) async throws(OffloadError) {
        let json = String(decoding: (try? OffloadJSON.compact.encode(info)) ?? Data(), as: UTF8.self)
        _ = try await pipeline([
            RedisCommand("SET", .string(keys.worker(info.id)), .string(json), "EX", .int(ttlSeconds)),
            RedisCommand("ZADD", .string(keys.workers), .string(String(clock.nowMilliseconds())), .string(info.id)),
        ])
    }

    package func unregisterWorker(id: String) async throws(OffloadError) {
        _ = try await pipeline([
            RedisCommand("DEL", .string(keys.worker(id))), RedisCommand("ZREM", .string(keys.workers), .string(id)),
        ])
    }

    /// Redis's `hash-max-listpack-value`: job hashes with a longer field (the payload, the
    /// result) take about twice the memory. nil when Redis does not tell (an ACL user
    /// without CONFIG, or a managed Redis that hides it).
    package func listpackValueLimit() async -> Int? {
        guard let reply = try? await send("CONFIG", "GET", "hash-max-listpack-value"), let fields = reply.array, fields.count == 2 else {
            return nil
        }
        return fields[1].string.flatMap(Int.init)
    }

    /// Makes job types known, so the API accepts them (unknown types get a 422).
    package func publishJobTypes(_ types: [String]) async throws(OffloadError) {
        guard !types.isEmpty else { return }
        let now = String(clock.nowMilliseconds())
        var arguments: [RedisArgument] = ["HSET", .string(keys.jobTypes)]
        for type in types { arguments += [.string(type), .string(now)] }
        _ = try await pipeline([RedisCommand(arguments)])
    }
}
