import OffloadRedis

/// Gives back, atomically and uncounted, every job of one queue that a worker process that
/// is gone still held: jobs it claimed ahead and never started, or claimed as it died. Its
/// supervisor calls this once it has recorded the fate of the jobs it knew had started;
/// lease expiry would count an attempt for each, and with one attempt send it dead unrun.
struct ReleaseWorkerScript: QueueScript {
    static let script = LuaLibrary.script("release-worker", using: [.giveBack], EmbeddedFiles.releaseWorkerLua)

    let workerID: String
    let queue: QueueKeys
    let now: Int64
    let settings: BrokerSettings

    var keys: [String] {
        [queue.active, queue.pendingLevels, queue.signal, queue.events, queue.cancelled, queue.settings]
    }

    var arguments: [RedisArgument] {
        [
            .string(workerID), .string(queue.jobPrefix), .int(settings.eventsMaxLength), .string(String(now)),
            .int(settings.defaultResultTTLSeconds),
        ]
    }

    struct Reply: Equatable {
        /// How many jobs were given back (or cancelled).
        var released: Int
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        Reply(released: value.int ?? 0)
    }
}
