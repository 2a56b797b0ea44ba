import OffloadRedis

/// The reaper's pass over one queue, atomically: jobs whose lease expired (their worker
/// died or stalled) go back to pending, or to dead when their attempts are used, or to
/// cancelled when cancellation was requested, each run counted as failed with `error`.
/// Then finished jobs whose result TTL ended and dead jobs past the dead set's bounds are
/// deleted, so they go even when no job finishes or dies. Safe from every process at once.
struct ReapScript: QueueScript {
    static let script = LuaLibrary.script(
        "reap", using: [.pending, .events, .runStats, .retention, .wake, .unique], EmbeddedFiles.reapLua)

    let queue: QueueKeys
    let now: Int64
    /// At most this many expired leases per call.
    let limit: Int
    /// What each expired run records as its error.
    let error: JobError
    let settings: BrokerSettings

    var keys: [String] {
        [
            queue.active, queue.pendingLevels, queue.dead, queue.signal, queue.events, queue.cancelled, queue.completed,
            queue.settings,
        ]
    }

    var arguments: [RedisArgument] {
        [
            .string(String(now)), .string(queue.jobPrefix), .int(limit), .int(settings.deadMaxCount),
            .string(String(settings.deadMaxAgeMilliseconds)), .int(settings.eventsMaxLength), .string(error.jsonText),
            .string(queue.statsPrefix), .int(settings.defaultResultTTLSeconds),
        ]
    }

    struct Reply: Equatable {
        /// Back in pending.
        var requeued: Int
        /// Out of attempts. Jobs that ended cancelled are in neither count.
        var dead: Int
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        let counts = value.array ?? []
        return Reply(requeued: counts.first?.int ?? 0, dead: counts.dropFirst().first?.int ?? 0)
    }
}
