import OffloadRedis

/// Reads, in one consistent view, a queue's job count per state and its oldest waiting
/// job (the oldest of the jobs at the head of each priority level). Changes nothing.
struct QueueStateScript: QueueScript {
    static let script = LuaLibrary.script("queue-state", using: [.pending], EmbeddedFiles.queueStateLua)

    let queue: QueueKeys

    var keys: [String] { Self.stateKeys(of: queue) }
    var arguments: [RedisArgument] { [] }

    /// The states counted, in the order of their keys and of their counts in the reply
    /// (this script's and `remove-queue`'s).
    static let countedStates: [JobState] = [.pending, .scheduled, .active, .completed, .cancelled, .dead]

    /// The pending levels ZSET, then the ZSET of each other counted state.
    static func stateKeys(of queue: QueueKeys) -> [String] {
        countedStates.map { queue.set(for: $0) ?? queue.pendingLevels }
    }

    /// The counts at the head of a reply; missing ones are 0.
    static func counts(from entries: [RESPValue]) -> QueueCounts {
        var counts = QueueCounts()
        for (index, state) in countedStates.enumerated() where index < entries.count {
            counts[state] = entries[index].int ?? 0
        }
        return counts
    }

    struct Reply: Equatable {
        var counts: QueueCounts
        /// The id of the job that has waited longest in pending.
        var oldestPending: String?
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        let entries = value.array ?? []
        let oldest = Self.countedStates.count
        return Reply(counts: Self.counts(from: entries), oldestPending: entries.count > oldest ? entries[oldest].string : nil)
    }
}
