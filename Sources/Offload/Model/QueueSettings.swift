/// What an operator sets per queue, kept in the queue's settings hash where every process
/// (API, workers, CLI) reads it. A setting left unset (nil) means the engine's default
/// (`BrokerSettings`); a job's own `result_ttl_seconds` wins over the queue's.
public struct QueueSettings: Sendable, Hashable, Encodable {
    /// Backpressure: past this many waiting jobs (pending and scheduled), submits fail with 429.
    public var maxDepth: Int?
    /// How long completed and cancelled jobs (and their results) are kept.
    public var resultTTLSeconds: Int?
    /// The dead set keeps at most this many jobs ...
    public var deadMaxCount: Int?
    /// ... and none dead for longer than this.
    public var deadMaxAgeSeconds: Int?

    /// Settings; nil leaves a setting at its default.
    public init(maxDepth: Int? = nil, resultTTLSeconds: Int? = nil, deadMaxCount: Int? = nil, deadMaxAgeSeconds: Int? = nil) {
        self.maxDepth = maxDepth
        self.resultTTLSeconds = resultTTLSeconds
        self.deadMaxCount = deadMaxCount
        self.deadMaxAgeSeconds = deadMaxAgeSeconds
    }

    package static let maxDepthRange = 1...1_000_000_000
    package static let resultTTLRange = JobSubmission.resultTTLRange
    package static let deadMaxCountRange = 1...10_000_000
    package static let deadMaxAgeRange = 60...(365 * 86_400)

    /// Each setting: its name (JSON, messages), its field in the settings hash (read by the
    /// Lua scripts), the values it may take. (Unchecked: a key path to a stored property is
    /// immutable.)
    package struct Field: @unchecked Sendable {
        package let name: String
        package let hashField: String
        package let range: ClosedRange<Int>
        package let keyPath: WritableKeyPath<QueueSettings, Int?>
    }

    package static let fields: [Field] = [
        Field(name: "max_depth", hashField: "max_depth", range: maxDepthRange, keyPath: \.maxDepth),
        Field(name: "result_ttl_seconds", hashField: "result_ttl", range: resultTTLRange, keyPath: \.resultTTLSeconds),
        Field(name: "dead_max_count", hashField: "dead_max", range: deadMaxCountRange, keyPath: \.deadMaxCount),
        Field(name: "dead_max_age_seconds", hashField: "dead_ttl", range: deadMaxAgeRange, keyPath: \.deadMaxAgeSeconds),
    ]

    package func validate() throws(OffloadError) {
        for field in Self.fields {
            if let value = self[keyPath: field.keyPath] { try Validation.check(value, in: field.range, field: field.name) }
        }
    }

    /// Every setting is present, null when unset, so a reader sees which are defaults.
    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, leavingOutDefaults: false)
    }

    /// Into the encoder's keyed container, so a type holding the settings can list them
    /// beside its own keys.
    func encode(to encoder: any Encoder, leavingOutDefaults: Bool) throws {
        var container = encoder.container(keyedBy: JSONFieldKey.self)
        for field in Self.fields {
            let value = self[keyPath: field.keyPath]
            if value != nil || !leavingOutDefaults { try container.encode(value, forKey: JSONFieldKey(field.name)) }
        }
    }
}
