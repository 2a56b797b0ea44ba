import Foundation
import NIOCore
import Offload

/// The body of `POST /v1/jobs` (and each item of a batch).
struct SubmitRequest: Decodable, Sendable {
    let type: String
    let payload: Payload?
    let queue: String?
    let priority: Int?
    let delaySeconds: Double?
    /// RFC 3339 time, e.g. `2026-01-01T12:00:00Z`.
    let runAt: String?
    let maxAttempts: Int?
    let timeoutSeconds: Int?
    let resultTTLSeconds: Int?
    let leaseMs: Int?
    /// Enqueue even when no worker serves the type yet. A `var` with a default, so
    /// `SubmitBodyReader` (which leaves bodies with it to JSONDecoder) need not name it.
    var allowUnknownType: Bool? = nil
    /// `{"key", "scope", "ttl_seconds"}`: while another job of the queue holds the key,
    /// the submit answers with that job.
    var unique: Unique? = nil

    struct Unique: Decodable, Sendable {
        let key: String
        let scope: UniqueJob.Scope?
        let ttlSeconds: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case key, scope
            case ttlSeconds = "ttl_seconds"
        }

        init(from decoder: any Decoder) throws {
            try decoder.container(keyedBy: JSONFieldKey.self).refuseFields(notIn: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            key = try container.decode(String.self, forKey: .key)
            scope = try container.decodeIfPresent(UniqueJob.Scope.self, forKey: .scope)
            ttlSeconds = try container.decodeWholeNumberIfPresent(forKey: .ttlSeconds)
        }

        var uniqueJob: UniqueJob {
            UniqueJob(key: key, scope: scope ?? .untilFinished, ttl: .seconds(ttlSeconds ?? UniqueJob.defaultTTLSeconds))
        }
    }

    /// What JSONDecoder made of the payload, or the canonical text of an object that
    /// `SubmitBodyReader` read (the text `JSONValue.jsonText` would write for it).
    enum Payload: Decodable, Sendable {
        case value(JSONValue)
        case canonicalObject(String)

        init(from decoder: any Decoder) throws {
            self = .value(try JSONValue(from: decoder))
        }
    }

    /// The body of a single submit: `SubmitBodyReader` for the shape clients nearly always
    /// send, JSONDecoder for everything else (and for every error).
    static func decode(_ body: ByteBuffer) throws(APIError) -> SubmitRequest {
        if let request = SubmitBodyReader.read(body) { return request }
        return try RequestDecoding.decode(SubmitRequest.self, from: body.readableBytesView)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, payload, queue, priority
        case delaySeconds = "delay_seconds"
        case runAt = "run_at"
        case maxAttempts = "max_attempts"
        case timeoutSeconds = "timeout_seconds"
        case resultTTLSeconds = "result_ttl_seconds"
        case leaseMs = "lease_ms"
        case allowUnknownType = "allow_unknown_type"
        case unique
    }

    func submission(idempotencyKey: String?) throws(OffloadError) -> JobSubmission {
        var runAtMilliseconds: Int64?
        if let runAt {
            guard let date = Self.parseDate(runAt) else {
                throw OffloadError(invalid: "run_at", "must be an RFC 3339 time such as 2026-01-01T12:00:00Z")
            }
            // As far ahead as delay_seconds may reach: a run_at in year 99999 is a mistake, not a job.
            guard date.timeIntervalSinceNow <= JobSubmission.maxDelaySeconds else {
                throw OffloadError(invalid: "run_at", "must be at most \(Int(JobSubmission.maxDelaySeconds / 86_400)) days ahead")
            }
            runAtMilliseconds = Int64(date.timeIntervalSince1970 * 1000)
        }
        let payloadText: String
        switch payload {
        case nil: payloadText = "{}"
        case .canonicalObject(let text): payloadText = text
        case .value(let value):
            guard case .object = value else { throw OffloadError(invalid: "payload", "must be a JSON object") }
            payloadText = value.jsonText
        }
        return JobSubmission(
            type: type, payload: payloadText, queue: queue ?? "default", priority: priority ?? 0,
            delaySeconds: delaySeconds, runAtMilliseconds: runAtMilliseconds, maxAttempts: maxAttempts,
            timeoutSeconds: timeoutSeconds, resultTTLSeconds: resultTTLSeconds, leaseMilliseconds: leaseMs,
            idempotencyKey: idempotencyKey, unique: unique?.uniqueJob, allowUnknownType: allowUnknownType ?? false)
    }

    private static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}

// In an extension, so the memberwise initializer SubmitBodyReader uses stays.
extension SubmitRequest {
    init(from decoder: any Decoder) throws {
        try decoder.container(keyedBy: JSONFieldKey.self).refuseFields(notIn: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        payload = try container.decodeIfPresent(Payload.self, forKey: .payload)
        queue = try container.decodeIfPresent(String.self, forKey: .queue)
        priority = try container.decodeWholeNumberIfPresent(forKey: .priority)
        delaySeconds = try container.decodeIfPresent(Double.self, forKey: .delaySeconds)
        runAt = try container.decodeIfPresent(String.self, forKey: .runAt)
        maxAttempts = try container.decodeWholeNumberIfPresent(forKey: .maxAttempts)
        timeoutSeconds = try container.decodeWholeNumberIfPresent(forKey: .timeoutSeconds)
        resultTTLSeconds = try container.decodeWholeNumberIfPresent(forKey: .resultTTLSeconds)
        leaseMs = try container.decodeWholeNumberIfPresent(forKey: .leaseMs)
        allowUnknownType = try container.decodeIfPresent(Bool.self, forKey: .allowUnknownType)
        unique = try container.decodeIfPresent(Unique.self, forKey: .unique)
    }
}
