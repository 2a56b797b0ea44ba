/// Names that end up inside Redis keys and URLs are restricted to a safe alphabet.
package enum Validation {
    /// 1–64 of `A-Z a-z 0-9 _ -`: no dots (they split job ids), no braces (hash tags).
    package static func isQueueName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { isWordByte($0) }
    }

    /// The same alphabet as queue names.
    package static func isScheduleName(_ name: String) -> Bool { isQueueName(name) }

    /// 1–128 of `A-Z a-z 0-9 _ - . :`, e.g. `count-primes`, `test.sleep`.
    package static func isJobTypeName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
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
