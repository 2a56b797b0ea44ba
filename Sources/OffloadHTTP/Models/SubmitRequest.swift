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
    static func decode(_ body: ByteBuffer) throws(OffloadError) -> SubmitRequest {
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
    }

    func submission(idempotencyKey: String?) throws(OffloadError) -> JobSubmission {
        var runAtMilliseconds: Int64?
        if let runAt {
            guard let date = Self.parseDate(runAt) else {
                throw OffloadError(.invalid, "run_at must be an RFC 3339 time such as 2026-01-01T12:00:00Z")
            }
            // As far ahead as delay_seconds may reach: a run_at in year 99999 is a mistake, not a job.
            guard date.timeIntervalSinceNow <= JobSubmission.maxDelaySeconds else {
                throw OffloadError(.invalid, "run_at must be at most \(Int(JobSubmission.maxDelaySeconds / 86_400)) days ahead")
            }
            runAtMilliseconds = Int64(date.timeIntervalSince1970 * 1000)
        }
        let payloadText: String
        switch payload {
        case nil: payloadText = "{}"
        case .canonicalObject(let text): payloadText = text
        case .value(let value):
            guard case .object = value else { throw OffloadError(.invalid, "payload must be a JSON object") }
            payloadText = value.jsonText
        }
        return JobSubmission(
            type: type, payload: payloadText, queue: queue ?? "default", priority: priority ?? 0,
            delaySeconds: delaySeconds, runAtMilliseconds: runAtMilliseconds, maxAttempts: maxAttempts,
            timeoutSeconds: timeoutSeconds, resultTTLSeconds: resultTTLSeconds, leaseMilliseconds: leaseMs,
            idempotencyKey: idempotencyKey, allowUnknownType: allowUnknownType ?? false)
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
    }
}

/// Decodes a request body, telling malformed JSON (400) from a wrong shape (422).
enum RequestDecoding {
    private static let decoder = JSONDecoder()

    static func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBufferView) throws(OffloadError) -> T {
        let data = Data(bytes)
        do {
            return try decoder.decode(T.self, from: data)
        } catch where (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) == nil {
            // Checked apart: JSONDecoder checks a number's syntax only when a field reads it.
            throw OffloadError(.malformed, "the body is not valid JSON")
        } catch let error as OffloadError {
            throw error
        } catch DecodingError.keyNotFound(let key, let context) {
            throw OffloadError(.invalid, "missing field '\(path(context.codingPath + [key]))'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            if context.codingPath.isEmpty { throw OffloadError(.invalid, "the body must be a JSON object") }
            throw OffloadError(.invalid, "field '\(path(context.codingPath))' has the wrong type")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw OffloadError(.invalid, "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)")
        } catch {
            throw OffloadError(.malformed, "the body is not valid JSON")
        }
    }

    /// `jobs[1].type`.
    static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
    }
}

extension KeyedDecodingContainer<JSONFieldKey> {
    /// A field the body does not define is refused, not ignored: a typo (`max_attempt`)
    /// would otherwise pass silently as the default.
    func refuseFields(notIn known: [String]) throws {
        for key in allKeys where !known.contains(key.stringValue) {
            let field = RequestDecoding.path(codingPath + [key])
            throw OffloadError(.invalid, "unknown field '\(field)'; the fields are \(known.joined(separator: ", "))")
        }
    }
}

extension KeyedDecodingContainer {
    /// An integer field. JSONDecoder reports a number that is no Int (2.5, 1e300) as invalid
    /// JSON without naming a field; this names it.
    func decodeWholeNumberIfPresent(forKey key: Key) throws -> Int? {
        do {
            return try decodeIfPresent(Int.self, forKey: key)
        } catch let error as DecodingError {
            throw error  // not a number, or null
        } catch {
            // JSONDecoder's own number error. No Double either: the JSON is wrong (RequestDecoding says so).
            guard let number = try? decode(Double.self, forKey: key) else { throw error }
            let field = RequestDecoding.path(codingPath + [key])
            throw OffloadError(.invalid, number.rounded() == number ? "field '\(field)' is out of range" : "field '\(field)' must be a whole number")
        }
    }
}
