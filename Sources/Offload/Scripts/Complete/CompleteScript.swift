import OffloadRedis

/// Stores the results of finished runs of one queue whose worker still holds their lease,
/// atomically: each job becomes completed, kept until its result TTL ends; they leave the
/// active set and join the completed set in one command each, one `completed` event names
/// them, the run statistics count them, and completed jobs whose TTL ended are swept.
struct CompleteScript: QueueScript {
    static let script = LuaLibrary.script(
        "complete", using: [.integerTexts, .events, .runStats, .retention, .unique], EmbeddedFiles.completeLua)

    private let queue: QueueKeys
    private(set) var arguments: [RedisArgument]
    /// Results added so far; the reply has one flag for each.
    private(set) var jobCount = 0

    init(queue: QueueKeys, now: Int64, settings: BrokerSettings) {
        self.queue = queue
        arguments = [
            .string(String(now)), .int(settings.defaultResultTTLSeconds), .int(settings.eventsMaxLength),
            .string(queue.statsPrefix), .string(queue.jobPrefix),
        ]
    }

    var keys: [String] { [queue.active, queue.completed, queue.events, queue.settings] }

    mutating func add(_ job: ClaimedJob, resultJSON: String) {
        jobCount += 1
        arguments += [.string(job.id), .string(job.token), .string(resultJSON)]
    }

    struct Reply: Equatable {
        /// One per result, in the order added: true when stored, false when the lease was
        /// lost (expired and reclaimed, or cancelled) and the result discarded.
        var completed: [Bool]
    }

    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply {
        guard let flags = value.array, flags.count == jobCount else { throw ScriptReplyError(Self.script, value) }
        return Reply(completed: flags.map { $0.int == 1 })
    }
}
