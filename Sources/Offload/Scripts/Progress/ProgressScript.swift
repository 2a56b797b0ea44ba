import OffloadRedis

/// Stores a running job's progress, if its worker still holds the lease, and emits a
/// `progress` event, atomically.
struct ProgressScript: QueueScript {
    static let script = LuaLibrary.script("progress", using: [.events], EmbeddedFiles.progressLua)

    let job: ClaimedJob
    let queue: QueueKeys
    /// 0–100.
    let percent: Int
    let message: String
    let settings: BrokerSettings

    var keys: [String] { [queue.job(job.id), queue.events] }

    var arguments: [RedisArgument] {
        [.string(job.id), .string(job.token), .int(percent), .string(message), .int(settings.eventsMaxLength)]
    }

    struct Reply: Equatable {
        /// False when the lease was lost.
        var stored: Bool
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        Reply(stored: value.int == 1)
    }
}
