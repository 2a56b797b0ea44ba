/// The rules of the names and numbers a user gives, each stated once with its message:
/// the engine checks every input with these, and the front ends check nothing of their own
/// (they only name the field their way, see ``OffloadError/namingField(_:)``).
package enum Validation {
    /// Queue and schedule names end up inside Redis keys and URLs: 1–64 of
    /// `A-Z a-z 0-9 _ -`, so no dots (they split job ids) and no braces (hash tags).
    package static let nameRule = "must be 1-64 characters of letters, digits, '_' and '-'"
    /// Job types: 1–128 of `A-Z a-z 0-9 _ - . :`, e.g. `count-primes`, `test.sleep`.
    package static let jobTypeRule = "must be 1-128 characters of letters, digits, '_', '-', '.', ':'"

    package static func isQueueName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { isWordByte($0) }
    }

    package static func isJobTypeName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
    }

    /// Throws `invalid_argument` naming `field` unless `name` is a queue name.
    package static func checkQueueName(_ name: String, field: String = "queue") throws(OffloadError) {
        guard isQueueName(name) else { throw OffloadError(invalid: field, nameRule) }
    }

    /// Schedule names follow the queue names' rule.
    package static func checkScheduleName(_ name: String, field: String = "name") throws(OffloadError) {
        guard isQueueName(name) else { throw OffloadError(invalid: field, nameRule) }
    }

    package static func checkJobType(_ type: String, field: String = "type") throws(OffloadError) {
        guard isJobTypeName(type) else { throw OffloadError(invalid: field, jobTypeRule) }
    }

    /// Throws `invalid_argument` naming `field` unless `range` holds `value`.
    package static func check(_ value: Int, in range: ClosedRange<Int>, field: String) throws(OffloadError) {
        guard range.contains(value) else { throw OffloadError(invalid: field, "must be in \(range)") }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
