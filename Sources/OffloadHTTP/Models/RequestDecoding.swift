import Foundation
import Hummingbird
import NIOCore
import Offload

/// Reads a request's body: its bytes within the server's limit, then its JSON.
enum RequestBody {
    /// The body's bytes; `payload_too_large` past `limit`.
    static func collect(_ request: Request, limit: Int) async throws(APIError) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.payloadTooLarge, "the body is larger than \(limit) bytes")
        }
    }
}

/// Decodes a request body, telling malformed JSON (400) from a wrong shape (422).
enum RequestDecoding {
    private static let decoder = JSONDecoder()

    static func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBufferView) throws(APIError) -> T {
        let data = Data(bytes)
        do {
            return try decoder.decode(T.self, from: data)
        } catch where (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) == nil {
            // Checked apart: JSONDecoder checks a number's syntax only when a field reads it.
            throw APIError(.malformed, "the body is not valid JSON")
        } catch let error as APIError {
            throw error
        } catch let error as OffloadError {
            throw APIError(error)
        } catch DecodingError.keyNotFound(let key, let context) {
            let field = path(context.codingPath + [key])
            throw APIError(invalidBody: "missing field '\(field)'", field: field)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            if context.codingPath.isEmpty { throw APIError(invalidBody: "the body must be a JSON object", field: nil) }
            let field = path(context.codingPath)
            throw APIError(invalidBody: "field '\(field)' has the wrong type", field: field)
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            let field = path(context.codingPath)
            throw APIError(invalidBody: "field '\(field)' is invalid: \(context.debugDescription)", field: field)
        } catch {
            throw APIError(.malformed, "the body is not valid JSON")
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
            throw APIError(invalidBody: "unknown field '\(field)'; the fields are \(known.joined(separator: ", "))", field: field)
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
            let rule = number.rounded() == number ? "is out of range" : "must be a whole number"
            throw APIError(invalidBody: "field '\(field)' \(rule)", field: field)
        }
    }
}
