/// A Redis reply, as decoded from RESP2 by hiredis's reader.
///
/// Bulk strings stay bytes (binary-safe); `null` is both RESP2 nils (bulk and array),
/// which hiredis reports alike. An error nested in an array (e.g. inside an EXEC or a
/// pipeline) is a value; an error as a whole reply is thrown by the client as
/// ``RedisError/server(_:)``.
package enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case bulkString([UInt8])
    case integer(Int64)
    case null
    case error(String)
    case array([RESPValue])
}

extension RESPValue {
    /// The reply as UTF-8 text, for simple strings, bulk strings and integers.
    package var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The reply as an integer, for integer replies and numeric strings.
    package var int: Int? {
        switch self {
        case .integer(let value): return Int(value)
        case .bulkString, .simpleString: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    package var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .bulkString, .simpleString: return string.flatMap { Double($0) }
        default: return nil
        }
    }

    package var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): return bytes
        case .simpleString(let text): return Array(text.utf8)
        default: return nil
        }
    }

    package var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A flat `[field, value, field, value]` reply (HGETALL, CONFIG GET) as a dictionary.
    package var fieldMap: [String: RESPValue]? {
        guard let values = array, values.count % 2 == 0 else { return nil }
        var map: [String: RESPValue] = [:]
        map.reserveCapacity(values.count / 2)
        var index = 0
        while index < values.count {
            if let key = values[index].string { map[key] = values[index + 1] }
            index += 2
        }
        return map
    }
}
