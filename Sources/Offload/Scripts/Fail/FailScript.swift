import OffloadRedis

/// Records a failed run whose worker still holds the lease, atomically: the job waits for
/// a retry when attempts remain and the worker asks for one, else it is dead (and the dead
/// set trimmed to its bounds); a job whose cancellation was requested ends cancelled,
/// whatever was asked. The run counts as failed, and one event says where the job went.
struct FailScript: QueueScript {
    static let script = LuaLibrary.script("fail", using: [.events, .runStats, .retention, .wake, .unique], EmbeddedFiles.failLua)

    let job: ClaimedJob
    let queue: QueueKeys
    let error: JobError
    let now: Int64
    let retryDelayMilliseconds: Int
    let disposition: FailDisposition
    let settings: BrokerSettings

    var keys: [String] {
        [queue.job(job.id), queue.active, queue.scheduled, queue.dead, queue.cancelled, queue.signal, queue.events, queue.settings]
    }

    var arguments: [RedisArgument] {
        [
            .string(job.id), .string(job.token), .string(error.jsonText), .string(String(now)), .int(retryDelayMilliseconds),
            .string(disposition.rawValue), .int(settings.deadMaxCount), .string(String(settings.deadMaxAgeMilliseconds)),
            .int(settings.defaultResultTTLSeconds), .string(queue.jobPrefix), .int(settings.eventsMaxLength),
            .string(queue.statsPrefix),
        ]
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> FailOutcome {
        guard let outcome = value.string.flatMap(FailOutcome.init(rawValue:)) else { throw ScriptReplyError(Self.script, value) }
        return outcome
    }
}
