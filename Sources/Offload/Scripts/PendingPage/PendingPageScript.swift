import OffloadRedis

/// Reads a page of a queue's pending job ids in the order they will be claimed: highest
/// priority first, oldest first within one. Changes nothing.
struct PendingPageScript: QueueScript {
    static let script = LuaLibrary.script("pending-page", using: [], EmbeddedFiles.pendingPageLua)

    let queue: QueueKeys
    let offset: Int
    let limit: Int

    var keys: [String] { [queue.pendingLevels] }
    var arguments: [RedisArgument] { [.int(offset), .int(limit)] }

    struct Reply: Equatable {
        var ids: [String]
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        Reply(ids: (value.array ?? []).compactMap(\.string))
    }
}
