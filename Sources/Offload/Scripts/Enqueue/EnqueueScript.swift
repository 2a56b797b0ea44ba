import OffloadRedis

/// Enqueues jobs of one queue, in order, atomically: each one is created (pending, or
/// scheduled when it runs later), or answered with the job its idempotency key already
/// names or that holds its uniqueness key, or refused when the queue is at its max depth. One wake-up per created job and
/// one `submitted` event for them all: submits that arrive together ride one call.
struct EnqueueScript: QueueScript {
    static let script = LuaLibrary.script("enqueue", using: [.pending, .events, .wake], EmbeddedFiles.enqueueLua)

    private let queueKeys: QueueKeys
    private let now: Int64
    private let defaultMaxAttempts: Int
    private(set) var keys: [String]
    private(set) var arguments: [RedisArgument]
    /// Jobs added so far; the reply has one outcome for each.
    private(set) var jobCount = 0

    var queue: String { queueKeys.queue }

    init(queue: QueueKeys, now: Int64, settings: BrokerSettings) {
        queueKeys = queue
        self.now = now
        defaultMaxAttempts = settings.defaultMaxAttempts
        keys = [queue.pendingLevels, queue.scheduled, queue.signal, queue.events, queue.settings]
        arguments = [.string(String(now)), .int(settings.eventsMaxLength), .int(settings.idempotencyTTLSeconds)]
    }

    /// Adds a validated job under its new `id`.
    mutating func add(_ submission: JobSubmission, id: String) {
        jobCount += 1
        var runAt: Int64 = 0
        if let delay = submission.delaySeconds, delay > 0 { runAt = now + Int64(delay * 1000) }
        if let at = submission.runAtMilliseconds { runAt = at }
        var options: [RedisArgument] = []
        if let timeout = submission.timeoutSeconds { options += ["tmo", .int(timeout)] }
        if let ttl = submission.resultTTLSeconds { options += ["rttl", .int(ttl)] }
        if let lease = submission.leaseMilliseconds { options += ["lease", .int(lease)] }
        if let key = submission.idempotencyKey { options += ["idem", .string(key)] }
        let job = queueKeys.job(id)
        let uniqueKey = submission.unique.map { queueKeys.unique($0.key) }
        if let unique = submission.unique, let uniqueKey {
            // Kept on the job, so the scripts that end its scope know which key to free.
            options += ["uniq", .string(uniqueKey), "usc", .string(unique.scope == .untilStarted ? "s" : "f")]
        }
        keys.append(job)
        keys.append(submission.idempotencyKey.map { queueKeys.idempotency($0) } ?? job)
        keys.append(uniqueKey ?? job)
        arguments += [
            .string(id), .string(submission.type), .string(submission.payload), .string(String(runAt)),
            .int(submission.priority), .int(submission.maxAttempts ?? defaultMaxAttempts),
            .int(submission.unique?.ttlSeconds ?? 0), .int(options.count / 2),
        ]
        arguments += options
    }

    /// What became of one job.
    enum JobOutcome: Equatable {
        /// Created now, or (`created` false) the job its idempotency key names, or
        /// (`duplicate` true) the one holding its uniqueness key.
        case submitted(SubmittedJob)
        /// Refused: the queue holds `depth` jobs, its max depth.
        case full(depth: Int, maxDepth: Int)
        /// Refused: the idempotency key names `job`, of another type or payload.
        case reused(job: String)
    }

    struct Reply: Equatable {
        /// One per job, in the order added.
        var jobs: [JobOutcome]
        /// The queue had no events stream and got a job: it is new, was removed, or Redis
        /// lost its data, so the caller lists it (again).
        var queueIsNew: Bool
    }

    /// Entries per job in the reply: a status and two values.
    private static let entriesPerJob = 3

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        guard let entries = value.array, entries.count == Self.entriesPerJob * jobCount + 1 else {
            throw ScriptReplyError(Self.script, value)
        }
        var jobs: [JobOutcome] = []
        jobs.reserveCapacity(jobCount)
        for start in stride(from: 0, to: entries.count - 1, by: Self.entriesPerJob) {
            let status = entries[start].string, second = entries[start + 1], third = entries[start + 2]
            switch status {
            case "created", "existing", "duplicate":
                guard let id = second.string else { throw ScriptReplyError(Self.script, value) }
                let state = third.string.flatMap(JobState.init(rawValue:)) ?? .completed
                jobs.append(.submitted(SubmittedJob(id: id, state: state, created: status == "created", duplicate: status == "duplicate")))
            case "full":
                jobs.append(.full(depth: second.int ?? 0, maxDepth: third.int ?? 0))
            case "reused":
                jobs.append(.reused(job: second.string ?? "?"))
            default:
                throw ScriptReplyError(Self.script, value)
            }
        }
        return Reply(jobs: jobs, queueIsNew: entries[entries.count - 1].int == 1)
    }
}
