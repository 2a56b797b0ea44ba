import OffloadRedis

/// Runs a dead or cancelled job again, atomically: it leaves its set for pending with
/// fresh attempts and no trace of its runs, a worker is woken and a `retried` event
/// emitted. An entry of either set that names a job gone or in another state is dropped,
/// so a walk over the dead set always moves on.
struct RetryScript: QueueScript {
    static let script = LuaLibrary.script("retry", using: [.pending, .events, .wake], EmbeddedFiles.retryLua)

    let id: String
    let queue: QueueKeys
    let settings: BrokerSettings

    var keys: [String] {
        [queue.job(id), queue.dead, queue.cancelled, queue.pendingLevels, queue.signal, queue.events]
    }

    var arguments: [RedisArgument] { [.string(id), .int(settings.eventsMaxLength)] }

    enum Reply: Equatable {
        /// Pending again.
        case retried
        /// No such job.
        case missing
        /// Neither dead nor cancelled: in this state.
        case notRetryable(state: String)
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        switch value.string {
        case "retried": return .retried
        case "missing": return .missing
        case let state?: return .notRetryable(state: state)
        case nil: throw ScriptReplyError(Self.script, value)
        }
    }
}
