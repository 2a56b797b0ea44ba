import OffloadRedis

/// Deletes up to `limit` jobs of one waiting or finished state, atomically, and names them
/// in a `purged` event, so whoever waits on one of them (long-poll, SSE, `submit --wait`)
/// learns it is gone.
struct PurgeScript: QueueScript {
    static let script = LuaLibrary.script("purge", using: [.pending, .events], EmbeddedFiles.purgeLua)

    let queue: QueueKeys
    /// Any state but `active`: those jobs belong to running workers.
    let state: JobState
    let limit: Int
    let settings: BrokerSettings

    var keys: [String] { [queue.set(for: state) ?? queue.pendingLevels, queue.events] }

    var arguments: [RedisArgument] {
        [.string(queue.jobPrefix), .int(limit), queue.set(for: state) == nil ? "pending" : "set", .int(settings.eventsMaxLength)]
    }

    struct Reply: Equatable {
        /// Call again while it equals the limit.
        var deleted: Int
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        Reply(deleted: value.int ?? 0)
    }
}
