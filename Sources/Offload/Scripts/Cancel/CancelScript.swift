import OffloadRedis

/// Cancels a job, atomically: a waiting one (pending or scheduled) at once, leaving its
/// list or set to be kept, cancelled, for its result TTL; a running one by setting its
/// cancel flag, which the worker's next heartbeat passes to the handler.
struct CancelScript: QueueScript {
    static let script = LuaLibrary.script("cancel", using: [.pending, .events, .retention, .unique], EmbeddedFiles.cancelLua)

    let id: String
    let queue: QueueKeys
    let now: Int64
    let settings: BrokerSettings

    var keys: [String] {
        [queue.job(id), queue.pendingLevels, queue.scheduled, queue.cancelled, queue.events, queue.settings]
    }

    var arguments: [RedisArgument] {
        [.string(id), .string(String(now)), .int(settings.defaultResultTTLSeconds), .int(settings.eventsMaxLength)]
    }

    enum Reply: Equatable {
        /// It was waiting, and is cancelled now.
        case cancelled
        /// It is running: its handler is told.
        case cancelling
        /// No such job.
        case missing
        /// It has already finished, in this state.
        case finished(state: String)
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        switch value.string {
        case "now-cancelled": return .cancelled
        case "cancelling": return .cancelling
        case "missing": return .missing
        case let state?: return .finished(state: state)
        case nil: throw ScriptReplyError(Self.script, value)
        }
    }
}
