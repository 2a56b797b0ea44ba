import Foundation
import OffloadRedis

/// Why a run failed, as stored on the job: a type (`timeout`, `crash`, the handler's
/// error type) and a human message.
public struct JobError: Sendable, Hashable, Codable {
    /// The error's kind: the handler's Swift error type, or `timeout`, `crash`, `cancelled`,
    /// `permanent`, `lease_expired`.
    public var type: String
    /// What went wrong, as the error described itself.
    public var message: String

    /// An error of `type` saying `message`.
    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    var jsonText: String { JSONValue.object(["type": .string(type), "message": .string(message)]).jsonText }

    init(jsonText: String) {
        let value = JSONValue(jsonText: jsonText)
        self.init(type: value?["type"]?.stringValue ?? "error", message: value?["message"]?.stringValue ?? jsonText)
    }
}

/// Everything stored about one job, as shown by the API, the CLI and the dashboard.
public struct JobRecord: Sendable, Hashable, Codable {
    /// `<queue>.<ULID>`: the queue is part of the id.
    public var id: String
    /// The job's type (a `JobDefinition`'s `name`).
    public var type: String
    public var queue: String
    public var state: JobState
    /// The input it was submitted with.
    public var payload: JSONValue?
    /// The handler's output, once completed (kept for the result TTL).
    public var result: JSONValue?
    /// The last run's error, while retrying and once dead.
    public var error: JobError?
    /// Runs started so far (a run in progress counts).
    public var attempts: Int
    /// Runs it may take in all.
    public var maxAttempts: Int
    public var priority: Int
    /// The last progress report, 0-100, and its message.
    public var progress: Int?
    public var progressMessage: String?
    public var createdAt: Date
    /// When a scheduled or retrying job falls due.
    public var runAt: Date?
    /// When its current or last run started, and when it finished.
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Its hard timeout, when it has one.
    public var timeoutSeconds: Int?
    /// The worker running it, or that ran it last.
    public var worker: String?
    /// Cancel was asked while it ran; its handler is told through its context.
    public var cancelRequested: Bool
    /// The result as the worker stored it, so a typed client decodes its own output from the
    /// exact text (a `JSONValue` holds numbers as `Double`). Not part of the JSON form.
    package var resultText: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, type, queue, state, payload, result, error, attempts, priority, progress, worker
        case maxAttempts = "max_attempts"
        case progressMessage = "progress_message"
        case createdAt = "created_at"
        case runAt = "run_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case timeoutSeconds = "timeout_seconds"
        case cancelRequested = "cancel_requested"
    }

    /// Builds the record from the job's hash fields (see the scripts in `Scripts/`).
    init?(id: String, queue: String, fields: [String: RESPValue]) {
        guard let type = fields["type"]?.string, let state = fields["state"]?.string.flatMap(JobState.init(rawValue:)) else {
            return nil
        }
        func date(_ field: String) -> Date? {
            fields[field]?.double.map { Date(timeIntervalSince1970: $0 / 1000) }
        }
        self.id = id
        self.type = type
        self.queue = queue
        self.state = state
        self.payload = fields["payload"]?.string.flatMap(JSONValue.init(jsonText:))
        self.resultText = fields["result"]?.string
        self.result = resultText.flatMap(JSONValue.init(jsonText:))
        self.error = fields["error"]?.string.map(JobError.init(jsonText:))
        self.attempts = fields["att"]?.int ?? 0
        self.maxAttempts = fields["max"]?.int ?? 1
        self.priority = fields["prio"]?.int ?? 0
        self.progress = fields["prog"]?.int
        self.progressMessage = fields["pmsg"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        self.createdAt = Date(timeIntervalSince1970: Double(JobID.milliseconds(of: id) ?? 0) / 1000)
        self.runAt = date("run_at")
        self.startedAt = date("stime")
        self.finishedAt = date("ftime")
        self.timeoutSeconds = fields["tmo"]?.int
        self.worker = fields["worker"]?.string
        self.cancelRequested = fields["cancel"] != nil
    }
}

/// JSON as Offload writes it everywhere: snake_case keys set by each type, ISO 8601
/// dates with milliseconds, sorted keys so output is stable.
package enum OffloadJSON {
    /// Shared, configured once: encoders are thread-safe and costly to create per request.
    package static let compact = encoder()
    package static let pretty = encoder(pretty: true)

    package static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            return try Date(text, strategy: Date.ISO8601FormatStyle())
        }
        return decoder
    }
}
