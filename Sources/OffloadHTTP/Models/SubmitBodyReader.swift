import NIOCore
import Offload

/// Reads a submit body of the shape clients nearly always send without the Codable
/// machinery, which cost a submit more API CPU than anything else: one object of known
/// fields, strings without escapes, whole numbers of at most 15 digits, and a payload
/// object of such values. Anything else (an escape, a fraction or exponent, an unknown or
/// repeated field, a non-ASCII payload key, deep nesting, any error) returns nil, and the
/// caller hands the body to JSONDecoder, so every answer outside the shape, errors
/// included, stays JSONDecoder's. The payload comes out as the text `JSONValue.jsonText`
/// writes (sorted keys, no spaces); tests hold the two paths equal.
struct SubmitBodyReader {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// Deeper payloads go to JSONDecoder.
    static var maxDepth: Int { 32 }
    /// Up to 15 digits a whole number is exactly a Double and written back as it came.
    static var maxDigits: Int { 15 }

    static func read(_ body: ByteBuffer) -> SubmitRequest? {
        body.withUnsafeReadableBytes { bytes in
            var reader = SubmitBodyReader(bytes: bytes)
            return reader.request()
        }
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // MARK: The request object

    private mutating func request() -> SubmitRequest? {
        var type: String?
        var payload: SubmitRequest.Payload?
        var queue: String?, runAt: String?
        var priority: Int?, delay: Int?, maxAttempts: Int?, timeout: Int?, resultTTL: Int?, lease: Int?
        var seen: UInt16 = 0  // one bit per field, to leave repeated fields to JSONDecoder
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if take(UInt8(ascii: "}")) { return nil }  // no type: JSONDecoder says so
        while true {
            guard let key = string() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            let field: Int
            switch key {
            case "type":
                field = 0
                guard let value = string() else { return nil }
                type = value
            case "payload":
                field = 1
                if !takeNull() {
                    guard peek == UInt8(ascii: "{") else { return nil }
                    var text: [UInt8] = []
                    guard value(into: &text, depth: 0) else { return nil }
                    payload = .canonicalObject(String(decoding: text, as: UTF8.self))
                }
            case "queue": field = 2; guard optionalString(&queue) else { return nil }
            case "run_at": field = 3; guard optionalString(&runAt) else { return nil }
            case "priority": field = 4; guard optionalNumber(&priority) else { return nil }
            case "delay_seconds": field = 5; guard optionalNumber(&delay) else { return nil }
            case "max_attempts": field = 6; guard optionalNumber(&maxAttempts) else { return nil }
            case "timeout_seconds": field = 7; guard optionalNumber(&timeout) else { return nil }
            case "result_ttl_seconds": field = 8; guard optionalNumber(&resultTTL) else { return nil }
            case "lease_ms": field = 9; guard optionalNumber(&lease) else { return nil }
            default: return nil
            }
            guard seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            skipSpace()
            if take(UInt8(ascii: ",")) {
                skipSpace()
                continue
            }
            guard take(UInt8(ascii: "}")) else { return nil }
            break
        }
        skipSpace()
        guard index == bytes.count, let type else { return nil }
        return SubmitRequest(
            type: type, payload: payload, queue: queue, priority: priority, delaySeconds: delay.map(Double.init), runAt: runAt,
            maxAttempts: maxAttempts, timeoutSeconds: timeout, resultTTLSeconds: resultTTL, leaseMs: lease)
    }

    private mutating func optionalString(_ field: inout String?) -> Bool {
        if takeNull() { return true }
        field = string()
        return field != nil
    }

    private mutating func optionalNumber(_ field: inout Int?) -> Bool {
        if takeNull() { return true }
        guard let (value, _) = wholeNumber() else { return false }
        field = value
        return true
    }

    // MARK: Payload values, written canonically

    /// Appends the canonical text of the value at the cursor.
    private mutating func value(into text: inout [UInt8], depth: Int) -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "\""):
            guard let raw = rawString() else { return false }
            text.append(UInt8(ascii: "\""))
            text.append(contentsOf: raw)
            text.append(UInt8(ascii: "\""))
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let (_, digits) = wholeNumber() else { return false }
            text.append(contentsOf: digits)
            return true
        case UInt8(ascii: "t"): return literal("true", into: &text)
        case UInt8(ascii: "f"): return literal("false", into: &text)
        case UInt8(ascii: "n"): return literal("null", into: &text)
        case UInt8(ascii: "["): return depth < Self.maxDepth && array(into: &text, depth: depth + 1)
        case UInt8(ascii: "{"): return depth < Self.maxDepth && object(into: &text, depth: depth + 1)
        default: return false
        }
    }

    private mutating func array(into text: inout [UInt8], depth: Int) -> Bool {
        index += 1
        text.append(UInt8(ascii: "["))
        skipSpace()
        if !take(UInt8(ascii: "]")) {
            while true {
                guard value(into: &text, depth: depth) else { return false }
                skipSpace()
                if take(UInt8(ascii: "]")) { break }
                guard take(UInt8(ascii: ",")) else { return false }
                text.append(UInt8(ascii: ","))
                skipSpace()
            }
        }
        text.append(UInt8(ascii: "]"))
        return true
    }

    /// Members sorted by key, as `JSONEncoder`'s `.sortedKeys` writes them; ASCII keys
    /// only, so that order is plain byte order.
    private mutating func object(into text: inout [UInt8], depth: Int) -> Bool {
        index += 1
        var members: [(key: ArraySlice<UInt8>, value: [UInt8])] = []
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            while true {
                guard let key = rawString(), key.allSatisfy({ $0 < 0x80 }) else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipSpace()
                var member: [UInt8] = []
                guard value(into: &member, depth: depth) else { return false }
                members.append((key, member))
                skipSpace()
                if take(UInt8(ascii: "}")) { break }
                guard take(UInt8(ascii: ",")) else { return false }
                skipSpace()
            }
        }
        members.sort { $0.key.lexicographicallyPrecedes($1.key) }
        text.append(UInt8(ascii: "{"))
        for (position, member) in members.enumerated() {
            if position > 0 {
                guard member.key != members[position - 1].key else { return false }  // a repeated key
                text.append(UInt8(ascii: ","))
            }
            text.append(UInt8(ascii: "\""))
            text.append(contentsOf: member.key)
            text.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            text.append(contentsOf: member.value)
        }
        text.append(UInt8(ascii: "}"))
        return true
    }

    // MARK: Tokens

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func takeNull() -> Bool {
        var ignored: [UInt8] = []
        return peek == UInt8(ascii: "n") && literal("null", into: &ignored)
    }

    private mutating func literal(_ word: StaticString, into text: inout [UInt8]) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
            word.withUTF8Buffer({ expected in expected.indices.allSatisfy { bytes[index + $0] == expected[$0] } })
        else { return false }
        text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<index + count]))
        index += count
        return true
    }

    /// A string without escapes or control characters.
    private mutating func string() -> String? {
        rawString().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes between the quotes of a string without escapes or control characters,
    /// valid UTF-8.
    private mutating func rawString() -> ArraySlice<UInt8>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var ascii = true
        while let byte = peek, byte != UInt8(ascii: "\"") {
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { return nil }
            ascii = ascii && byte < 0x80
            index += 1
        }
        guard peek != nil else { return nil }
        let raw = ArraySlice(bytes[start..<index])
        index += 1
        guard ascii || String(validating: raw, as: UTF8.self) != nil else { return nil }
        return raw
    }

    /// `-?(0|[1-9][0-9]*)` of at most 15 digits, not followed by a fraction or exponent;
    /// "-0" is left to JSONDecoder (it is a Double's negative zero there).
    private mutating func wholeNumber() -> (value: Int, digits: ArraySlice<UInt8>)? {
        let start = index
        let negative = take(UInt8(ascii: "-"))
        let firstDigit = index
        var value = 0
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            guard index - firstDigit < Self.maxDigits else { return nil }  // before `value` could overflow
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        let count = index - firstDigit
        guard count > 0, count == 1 || bytes[firstDigit] != UInt8(ascii: "0") else { return nil }
        if let byte = peek, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return nil }
        if negative && value == 0 { return nil }
        return (negative ? -value : value, ArraySlice(bytes[start..<index]))
    }
}
