import OffloadRedis

/// Gives a job its worker still holds back to the front of pending, atomically, without
/// counting the run: the worker is shutting down and did not finish it in the grace
/// period, or claimed it ahead and had no slot for it in time. A job whose cancellation
/// was requested ends cancelled instead of running again.
struct ReleaseScript: QueueScript {
    static let script = LuaLibrary.script("release", using: [.giveBack], EmbeddedFiles.releaseLua)

    let job: ClaimedJob
    let queue: QueueKeys
    let now: Int64
    let settings: BrokerSettings

    var keys: [String] {
        [queue.job(job.id), queue.active, queue.pendingLevels, queue.signal, queue.events, queue.cancelled, queue.settings]
    }

    var arguments: [RedisArgument] {
        [
            .string(job.id), .string(job.token), .int(settings.eventsMaxLength), .string(String(now)),
            .int(settings.defaultResultTTLSeconds),
        ]
    }

    struct Reply: Equatable {
        /// Given back (or cancelled); false when the lease was lost.
        var released: Bool
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        Reply(released: value.int == 1)
    }
}
