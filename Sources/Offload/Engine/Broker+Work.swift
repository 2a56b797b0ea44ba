import Foundation
import OffloadRedis

/// The worker's side of the engine: lease, heartbeat, finish, recover.
extension Broker {
    /// Promotes due scheduled jobs, then leases up to `limit` pending jobs of one queue.
    package func claim(queue: String, limit: Int, token: String, workerID: String) async throws(OffloadError) -> ClaimResult {
        try await run(
            ClaimScript(
                queue: keys.queue(queue), now: clock.nowMilliseconds(), limit: limit, token: token, workerID: workerID,
                settings: settings))
    }

    /// Blocks (on connections of its own, never a thread) until a job is submitted to one
    /// of the queues or `timeout` passes. Returns true when woken by a submit. On a cluster
    /// the queues' wake-up lists may be on several nodes; the waiter blocks on each.
    package func waitForWork(on waiter: RedisListWaiter, queues: [String], timeout: Duration) async throws(OffloadError) -> Bool {
        do {
            return try await waiter.popFirst(of: queues.map { keys.queue($0).signal }, timeout: timeout) != nil
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
        let now = clock.nowMilliseconds()
        let byQueue = Dictionary(grouping: results.indices, by: { results[$0].job.queue })
        var calls: [CompleteScript] = []
        var commands: [RedisCommand] = []
        for (queue, indices) in byQueue {
            var call = CompleteScript(queue: keys.queue(queue), now: now, settings: settings)
            for index in indices { call.add(results[index].job, resultJSON: results[index].resultJSON) }
            commands.append(scriptCommand(call))
            calls.append(call)
        }
        let (replies, confirmations) = try await pipeline(commands, confirmedBy: settings.minReplicas)
        if let confirmed = confirmations?.min(), confirmed < settings.minReplicas {
            // Stored on the primary but not yet safe from a failover: the caller retries
            // under the same leases (`complete` is idempotent for the run that stored it).
            throw unconfirmed(
                "the results of \(results.count) jobs were written, but", confirmed: confirmed, required: settings.minReplicas,
                then: "they are stored again until confirmed")
        }
        var stored = [Bool](repeating: false, count: results.count)
        for ((_, indices), (call, reply)) in zip(byQueue, zip(calls, replies)) {
            for (index, completed) in zip(indices, try decode(reply, of: call).completed) { stored[index] = completed }
        }
        return stored
    }

    package func fail(_ job: ClaimedJob, error: JobError, disposition: FailDisposition = .retry) async throws(OffloadError) -> FailOutcome {
        try await run(
            FailScript(
                job: job, queue: keys.queue(job.queue), error: error, now: clock.nowMilliseconds(),
                retryDelayMilliseconds: retryDelayMilliseconds(attempt: job.attempt), disposition: disposition, settings: settings))
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
        let reply = try await run(ExtendLeasesScript(queue: keys.queue(queue), now: clock.nowMilliseconds(), jobs: jobs))
        return (reply.lost, reply.cancelRequested)
    }

    /// Stores progress (clamped to 0–100); false when the lease was lost.
    package func reportProgress(_ job: ClaimedJob, percent: Int, message: String) async throws(OffloadError) -> Bool {
        try await run(
            ProgressScript(
                job: job, queue: keys.queue(job.queue), percent: min(100, max(0, percent)), message: message, settings: settings)
        ).stored
    }

    /// Returns jobs whose lease expired to pending (or dead when out of attempts, or
    /// cancelled when cancellation was requested).
    @discardableResult
    package func reapExpiredLeases(queue: String, limit: Int = 100) async throws(OffloadError) -> (requeued: Int, dead: Int) {
        let error = JobError(type: "lease_expired", message: "the worker running the job stopped heartbeating (crashed, killed or stalled)")
        let reply = try await run(
            ReapScript(queue: keys.queue(queue), now: clock.nowMilliseconds(), limit: limit, error: error, settings: settings))
        return (reply.requeued, reply.dead)
    }

    /// Hands a running job back to pending without counting the run (graceful shutdown);
    /// a job whose cancellation was requested ends cancelled instead.
    package func release(_ job: ClaimedJob) async throws(OffloadError) -> Bool {
        try await run(ReleaseScript(job: job, queue: keys.queue(job.queue), now: clock.nowMilliseconds(), settings: settings)).released
    }

    /// Gives back, uncounted, every job of `queue` still held by a worker process that is
    /// gone (see the `release-worker` script); returns how many.
    package func releaseJobs(ofWorker workerID: String, queue: String) async throws(OffloadError) -> Int {
        try await run(
            ReleaseWorkerScript(workerID: workerID, queue: keys.queue(queue), now: clock.nowMilliseconds(), settings: settings)
        ).released
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
