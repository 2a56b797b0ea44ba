import Foundation

/// A job submitted again and again: every `everySeconds`, or at the minutes of a cron
/// expression (UTC). Worker processes fire schedules (`ScheduleFirer`); each occurrence is
/// one job, however many workers fire it.
public struct JobSchedule: Sendable, Hashable {
    /// 1-64 characters of letters, digits, `_` and `-`.
    public var name: String
    /// A five-field cron expression in UTC; exclusive with `everySeconds`.
    public var cron: String?
    /// Seconds between occurrences; exclusive with `cron`.
    public var everySeconds: Int?
    /// The job type each occurrence submits.
    public var type: String
    /// JSON object text, canonical (`JSONValue.jsonText`).
    public var payload: String
    /// The submitted jobs' queue, priority, attempts and hard timeout.
    public var queue: String
    public var priority: Int
    public var maxAttempts: Int?
    public var timeoutSeconds: Int?

    /// A schedule; give `cron` or `everySeconds`, exactly one.
    public init(
        name: String, cron: String? = nil, everySeconds: Int? = nil, type: String, payload: String = "{}", queue: String = "default",
        priority: Int = 0, maxAttempts: Int? = nil, timeoutSeconds: Int? = nil
    ) {
        self.name = name
        self.cron = cron
        self.everySeconds = everySeconds
        self.type = type
        self.payload = payload
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
    }

    package static let everyRange = 1...(7 * 86_400)

    /// The name, the timing, and every field of the job it submits.
    public func validate() throws(OffloadError) {
        try Validation.checkScheduleName(name)
        switch (cron, everySeconds) {
        case (let cron?, nil): _ = try CronExpression(cron)
        case (nil, let every?): try Validation.check(every, in: Self.everyRange, field: "every_seconds")
        default: throw OffloadError(.invalid, "give cron or every_seconds, exactly one")
        }
        guard case .object? = JSONValue(jsonText: payload) else { throw OffloadError(invalid: "payload", "must be a JSON object") }
        try submission(at: 0).validate()
    }

    /// The occurrences that started after `since` and by `now` (ms since the epoch), oldest
    /// first: interval starts, or minutes the cron expression names. At most `limit`, the
    /// newest kept.
    package func occurrences(after since: Int64, through now: Int64, limit: Int = 5) -> [Int64] {
        let step: Int64 = everySeconds.map { Int64($0) * 1000 } ?? 60_000
        let expression = cron.flatMap { try? CronExpression($0) }
        if cron != nil && expression == nil { return [] }
        var found: [Int64] = []
        var candidate = now - now % step
        while candidate > since && found.count < limit {
            if expression?.matches(minuteStartingAt: candidate) ?? true { found.append(candidate) }
            candidate -= step
        }
        return found.reversed()
    }

    /// When the next occurrence after `now` starts.
    package func next(after now: Int64) -> Int64? {
        if let everySeconds {
            let interval = Int64(everySeconds) * 1000
            return now - now % interval + interval
        }
        guard let cron, let expression = try? CronExpression(cron) else { return nil }
        return expression.next(after: now)
    }

    /// The job of one occurrence. Its idempotency key is the same in every process.
    package func submission(at occurrence: Int64) -> JobSubmission {
        JobSubmission(
            type: type, payload: payload, queue: queue, priority: priority, maxAttempts: maxAttempts, timeoutSeconds: timeoutSeconds,
            idempotencyKey: "schedule:\(name):\(occurrence)")
    }
}

extension JobSchedule: Codable {
    enum CodingKeys: String, CodingKey {
        case name, cron, type, payload, queue, priority
        case everySeconds = "every_seconds"
        case maxAttempts = "max_attempts"
        case timeoutSeconds = "timeout_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cron = try container.decodeIfPresent(String.self, forKey: .cron)
        everySeconds = try container.decodeIfPresent(Int.self, forKey: .everySeconds)
        type = try container.decode(String.self, forKey: .type)
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload)?.jsonText ?? "{}"
        queue = try container.decodeIfPresent(String.self, forKey: .queue) ?? "default"
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        timeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(cron, forKey: .cron)
        try container.encodeIfPresent(everySeconds, forKey: .everySeconds)
        try container.encode(type, forKey: .type)
        try container.encode(JSONValue(jsonText: payload) ?? .object([:]), forKey: .payload)
        try container.encode(queue, forKey: .queue)
        try container.encode(priority, forKey: .priority)
        try container.encodeIfPresent(maxAttempts, forKey: .maxAttempts)
        try container.encodeIfPresent(timeoutSeconds, forKey: .timeoutSeconds)
    }
}

/// A schedule as listed: with when it fires next.
public struct ScheduleInfo: Sendable, Encodable {
    public let schedule: JobSchedule
    /// When it fires next; nil when its cron expression never matches again.
    public let nextRunAt: Date?

    public func encode(to encoder: any Encoder) throws {
        try schedule.encode(to: encoder)
        var container = encoder.container(keyedBy: JSONFieldKey.self)
        try container.encode(nextRunAt, forKey: JSONFieldKey("next_run_at"))
    }
}
