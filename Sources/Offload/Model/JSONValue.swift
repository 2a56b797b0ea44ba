import Foundation

/// Any JSON document: job payloads and results are kept as JSON text in Redis and
/// embedded as JSON (not as strings) in API and CLI output.
public enum JSONValue: Sendable, Hashable, Codable {
    /// `null`, `true`/`false`, a number, a string, an array, an object.
    case null
    case bool(Bool)
    /// Numbers are held as `Double`: a typed `Output` decodes from the exact stored text.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text; `nil` when it is not JSON.
    public init?(jsonText: String) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(jsonText.utf8)) else { return nil }
        self = value
    }

    /// Compact JSON text with sorted keys.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Compact JSON text with sorted keys: the canonical form payloads are stored in.
    public var jsonText: String {
        guard let data = try? Self.encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of an object's field; nil for other values and missing fields.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// A whole number's value; nil for anything else.
    public var intValue: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 9e15 { return Int(value) }
        return nil
    }

    /// A string's value; nil for anything else.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// Any field name of a JSON object, for bodies whose names are data (settings) and for
/// listing every field a body has.
package struct JSONFieldKey: CodingKey, Sendable {
    package let stringValue: String
    package var intValue: Int? { nil }
    package init(_ name: String) { self.stringValue = name }
    package init(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
