import OffloadRedis

/// Heartbeat: extends, atomically, the lease of each of a worker's jobs of one queue that
/// it still holds (active, with its token), and tells which leases are lost and which
/// jobs' cancellation was requested.
struct ExtendLeasesScript: QueueScript {
    static let script = LuaLibrary.script("extend-leases", using: [], EmbeddedFiles.extendLeasesLua)

    let queue: QueueKeys
    let now: Int64
    let jobs: [ClaimedJob]

    var keys: [String] { [queue.active] }

    var arguments: [RedisArgument] {
        var arguments: [RedisArgument] = [.string(String(now)), .string(queue.jobPrefix)]
        for job in jobs { arguments += [.string(job.id), .string(job.token), .int(job.leaseMilliseconds)] }
        return arguments
    }

    struct Reply: Equatable {
        /// Jobs whose lease the worker no longer holds.
        var lost: Set<String>
        /// Jobs still held whose cancellation was requested.
        var cancelRequested: Set<String>
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        guard let parts = value.array, parts.count == 2 else { throw ScriptReplyError(Self.script, value) }
        return Reply(
            lost: Set((parts[0].array ?? []).compactMap(\.string)),
            cancelRequested: Set((parts[1].array ?? []).compactMap(\.string)))
    }
}
