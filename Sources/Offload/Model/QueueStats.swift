/// Counts of one queue per state (O(1) each: the size of the state's sorted set).
package struct QueueCounts: Sendable, Hashable, Codable {
    package var scheduled = 0
    package var pending = 0
    package var active = 0
    package var completed = 0
    package var dead = 0
    package var cancelled = 0

    package init() {}

    package subscript(state: JobState) -> Int {
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
package struct QueueInfo: Sendable, Hashable, Encodable {
    package var name: String
    package var counts: QueueCounts
    package var paused: Bool
    /// Age of the job that has waited longest in pending, in seconds (0 when none).
    package var oldestPendingAgeSeconds: Double
    /// Jobs completed and runs failed in the last full minute.
    package var processedPerMinute: Int
    package var failedPerMinute: Int
    /// Only what the operator set; the JSON leaves out the settings that are defaults.
    package var settings: QueueSettings

    enum CodingKeys: String, CodingKey {
        case name, counts, paused
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case processedPerMinute = "processed_per_minute"
        case failedPerMinute = "failed_per_minute"
    }

    package init(
        name: String, counts: QueueCounts, paused: Bool, oldestPendingAgeSeconds: Double, processedPerMinute: Int,
        failedPerMinute: Int, settings: QueueSettings
    ) {
        self.name = name
        self.counts = counts
        self.paused = paused
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.processedPerMinute = processedPerMinute
        self.failedPerMinute = failedPerMinute
        self.settings = settings
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(counts, forKey: .counts)
        try container.encode(paused, forKey: .paused)
        try container.encode(oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
        try container.encode(processedPerMinute, forKey: .processedPerMinute)
        try container.encode(failedPerMinute, forKey: .failedPerMinute)
        try settings.encode(to: encoder, leavingOutDefaults: true)
    }
}

/// One page of a job listing; `nextCursor` is nil on the last page.
package struct JobPage: Sendable, Codable {
    package var jobs: [JobRecord]
    package var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case jobs
        case nextCursor = "next_cursor"
    }
}
