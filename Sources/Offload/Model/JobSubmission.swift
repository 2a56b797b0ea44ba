/// A job to enqueue: its type, its JSON payload and the options of one submit.
package struct JobSubmission: Sendable, Hashable {
    package var type: String
    /// JSON text; stored as is and handed to the handler.
    package var payload: String
    package var queue: String
    /// Higher runs first; -1000...1000.
    package var priority: Int
    /// Run no earlier than this many seconds from now.
    package var delaySeconds: Double?
    /// Run no earlier than this time (ms since the epoch); exclusive with `delaySeconds`.
    package var runAtMilliseconds: Int64?
    /// Runs in all, including the first; 1 means no retry.
    package var maxAttempts: Int?
    /// Hard limit of one run, enforced by the worker supervisor.
    package var timeoutSeconds: Int?
    /// How long the result (or a cancelled job) is kept after it finishes.
    package var resultTTLSeconds: Int?
    /// How long a worker's lease lasts without a heartbeat.
    package var leaseMilliseconds: Int?
    /// Submits with the same key (per queue, while the key lives) return the first job.
    package var idempotencyKey: String?
    /// While another job of the queue holds this key, the submit answers with that job.
    package var unique: UniqueJob?
    /// Enqueue even when no worker serves `type` yet (an app deployed before its workers).
    package var allowUnknownType: Bool
    /// Replicas that must confirm the enqueue before it is accepted; nil: the broker's
    /// `minReplicas`.
    package var minReplicas: Int?

    package init(
        type: String, payload: String = "{}", queue: String = "default", priority: Int = 0,
        delaySeconds: Double? = nil, runAtMilliseconds: Int64? = nil, maxAttempts: Int? = nil,
        timeoutSeconds: Int? = nil, resultTTLSeconds: Int? = nil, leaseMilliseconds: Int? = nil,
        idempotencyKey: String? = nil, unique: UniqueJob? = nil, allowUnknownType: Bool = false, minReplicas: Int? = nil
    ) {
        self.type = type
        self.payload = payload
        self.queue = queue
        self.priority = priority
        self.delaySeconds = delaySeconds
        self.runAtMilliseconds = runAtMilliseconds
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.resultTTLSeconds = resultTTLSeconds
        self.leaseMilliseconds = leaseMilliseconds
        self.idempotencyKey = idempotencyKey
        self.unique = unique
        self.allowUnknownType = allowUnknownType
        self.minReplicas = minReplicas
    }

    package static let priorityRange = -1000...1000
    package static let maxAttemptsRange = 1...1000
    package static let timeoutRange = 1...(7 * 86_400)
    package static let resultTTLRange = 1...(30 * 86_400)
    package static let leaseRange = 100...(24 * 3_600_000)
    package static let maxDelaySeconds = 365.0 * 86_400

    /// Checks every field against its rules; the error names the field.
    package func validate() throws(OffloadError) {
        try Validation.checkJobType(type)
        try Validation.checkQueueName(queue)
        try Validation.check(priority, in: Self.priorityRange, field: "priority")
        if delaySeconds != nil && runAtMilliseconds != nil { throw OffloadError(invalid: "delay_seconds", "cannot be given with run_at; give one") }
        if let delaySeconds, !(delaySeconds >= 0 && delaySeconds <= Self.maxDelaySeconds) {
            throw OffloadError(invalid: "delay_seconds", "must be between 0 and \(Int(Self.maxDelaySeconds))")
        }
        if let maxAttempts { try Validation.check(maxAttempts, in: Self.maxAttemptsRange, field: "max_attempts") }
        if let timeoutSeconds { try Validation.check(timeoutSeconds, in: Self.timeoutRange, field: "timeout_seconds") }
        if let resultTTLSeconds { try Validation.check(resultTTLSeconds, in: Self.resultTTLRange, field: "result_ttl_seconds") }
        if let leaseMilliseconds { try Validation.check(leaseMilliseconds, in: Self.leaseRange, field: "lease_ms") }
        if let idempotencyKey, !(1...256).contains(idempotencyKey.utf8.count) {
            throw OffloadError(invalid: "idempotency_key", "must be 1-256 bytes")
        }
        try unique?.validate()
        if let minReplicas { try Validation.check(minReplicas, in: BrokerSettings.minReplicasRange, field: "min_replicas") }
    }
}

/// What a submit did: a new job, the one an idempotency key already named, or the one
/// holding its uniqueness key.
package struct SubmittedJob: Sendable, Hashable, Codable {
    package let id: String
    package let state: JobState
    /// False when an idempotency key matched an earlier job, or a uniqueness key is held.
    package let created: Bool
    /// True when the job is the holder of the submit's uniqueness key.
    package let duplicate: Bool

    package init(id: String, state: JobState, created: Bool, duplicate: Bool = false) {
        self.id = id
        self.state = state
        self.created = created
        self.duplicate = duplicate
    }
}
