import OffloadRedis

/// Deletes an empty queue's own keys (its wake-up list, pause flag, settings, events and
/// run totals) atomically, or refuses while any job of any state is left. Per-minute stats
/// expire by themselves, and idempotency keys name no job any more.
struct RemoveQueueScript: QueueScript {
    static let script = LuaLibrary.script("remove-queue", using: [.pending], EmbeddedFiles.removeQueueLua)

    let queue: QueueKeys

    var keys: [String] {
        QueueStateScript.stateKeys(of: queue) + [queue.signal, queue.paused, queue.settings, queue.events, queue.runTotals]
    }

    var arguments: [RedisArgument] { [] }

    enum Reply: Equatable {
        case removed
        /// Refused: the jobs left, per state.
        case notEmpty(QueueCounts)
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        let left = value.array ?? []
        return left.isEmpty ? .removed : .notEmpty(QueueStateScript.counts(from: left))
    }
}
