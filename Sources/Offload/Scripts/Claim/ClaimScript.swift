import OffloadRedis

/// Promotes the queue's due scheduled jobs to pending, then leases up to `limit` pending
/// jobs (highest priority first, oldest first within one) to one worker, atomically: each
/// becomes active under the worker's token with a lease in the active set, and one
/// `started` event names them all. A paused queue leases nothing; a claim that finds
/// nothing clears stale wake-ups, so the worker blocks until new work.
struct ClaimScript: QueueScript {
    static let script = LuaLibrary.script("claim", using: [.pending, .integerTexts, .events, .unique], EmbeddedFiles.claimLua)

    let queue: QueueKeys
    let now: Int64
    let limit: Int
    let token: String
    let workerID: String
    let settings: BrokerSettings

    var keys: [String] { [queue.pendingLevels, queue.scheduled, queue.active, queue.signal, queue.paused, queue.events] }

    var arguments: [RedisArgument] {
        [
            .string(String(now)), .int(limit), .string(token), .string(workerID), .int(settings.defaultLeaseMilliseconds),
            .string(queue.jobPrefix), .int(settings.eventsMaxLength),
        ]
    }

    /// Entries per claimed job, after the first one (`next`): id, type, payload, attempt,
    /// max attempts, timeout, lease.
    private static let entriesPerJob = 7

    func reply(from value: RESPValue) throws(ScriptReplyError) -> ClaimResult {
        guard let entries = value.array, let next = entries.first?.int, (entries.count - 1) % Self.entriesPerJob == 0 else {
            throw ScriptReplyError(Self.script, value)
        }
        var jobs: [ClaimedJob] = []
        for start in stride(from: 1, to: entries.count, by: Self.entriesPerJob) {
            jobs.append(
                ClaimedJob(
                    id: entries[start].string ?? "", queue: queue.queue, type: entries[start + 1].string ?? "",
                    payload: entries[start + 2].string ?? "{}", attempt: entries[start + 3].int ?? 1,
                    maxAttempts: entries[start + 4].int ?? 1,
                    timeoutSeconds: entries[start + 5].int.flatMap { $0 > 0 ? $0 : nil },
                    leaseMilliseconds: entries[start + 6].int ?? settings.defaultLeaseMilliseconds, token: token))
        }
        // `next`: -2 paused, -1 nothing scheduled, else when the next scheduled job is due.
        return ClaimResult(jobs: jobs, nextDueMilliseconds: next >= 0 ? Int64(next) : nil, paused: next == -2)
    }
}
