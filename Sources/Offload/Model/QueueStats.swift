/// Counts of one queue per state (O(1) each: the size of the state's sorted set).
public struct QueueCounts: Sendable, Hashable, Codable {
    /// Jobs in each state.
    public var scheduled = 0
    public var pending = 0
    public var active = 0
    public var completed = 0
    public var dead = 0
    public var cancelled = 0

    /// All zero.
    public init() {}

    /// The count of `state`.
    public subscript(state: JobState) -> Int {
        get {
            switch state {
            case .scheduled: return scheduled
            case .pending: return pending
            case .active: return active
            case .completed: return completed
            case .dead: return dead
            case .cancelled: return cancelled
            }
        }
        set {
            switch state {
            case .scheduled: scheduled = newValue
            case .pending: pending = newValue
            case .active: active = newValue
            case .completed: completed = newValue
            case .dead: dead = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }
}

/// One queue as the operator sees it.
public struct QueueInfo: Sendable, Hashable, Encodable {
    public var name: String
    public var counts: QueueCounts
    /// Paused queues take submits; nothing is claimed from them.
    public var paused: Bool
    /// Age of the job that has waited longest in pending, in seconds (0 when none).
    public var oldestPendingAgeSeconds: Double
    /// Jobs completed and runs failed in the last full minute.
    public var processedPerMinute: Int
    public var failedPerMinute: Int
    /// Only what the operator set; the JSON leaves out the settings that are defaults.
    public var settings: QueueSettings
    /// On a Redis Cluster, the primary (`host:port`) that holds the queue's slot; nil
    /// (and left out of the JSON) on a single Redis.
    public var node: String?

    enum CodingKeys: String, CodingKey {
        case name, counts, paused, node
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case processedPerMinute = "processed_per_minute"
        case failedPerMinute = "failed_per_minute"
    }

    public init(
        name: String, counts: QueueCounts, paused: Bool, oldestPendingAgeSeconds: Double, processedPerMinute: Int,
        failedPerMinute: Int, settings: QueueSettings, node: String? = nil
    ) {
        self.name = name
        self.counts = counts
        self.paused = paused
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.processedPerMinute = processedPerMinute
        self.failedPerMinute = failedPerMinute
        self.settings = settings
        self.node = node
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(counts, forKey: .counts)
        try container.encode(paused, forKey: .paused)
        try container.encode(oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
        try container.encode(processedPerMinute, forKey: .processedPerMinute)
        try container.encode(failedPerMinute, forKey: .failedPerMinute)
        try container.encodeIfPresent(node, forKey: .node)
        try settings.encode(to: encoder, leavingOutDefaults: true)
    }
}

/// One page of a job listing; `nextCursor` is nil on the last page.
public struct JobPage: Sendable, Codable {
    /// The page's jobs, and the cursor of the next page (nil on the last).
    public var jobs: [JobRecord]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case jobs
        case nextCursor = "next_cursor"
    }
}
