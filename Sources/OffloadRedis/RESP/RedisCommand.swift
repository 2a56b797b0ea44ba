import CHiredis
import NIOCore

/// One argument of a Redis command: text or raw bytes, sent binary-safe either way.
package enum RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes([UInt8])

    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .string(String(value)) }

    package static func int(_ value: Int) -> RedisArgument { .string(String(value)) }
    package static func double(_ value: Double) -> RedisArgument { .string(String(value)) }

    var utf8Count: Int {
        switch self {
        case .string(let text): return text.utf8.count
        case .bytes(let bytes): return bytes.count
        }
    }
}

/// A command as an argument vector, e.g. `RedisCommand("SET", key, value)`.
package struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    package var arguments: [RedisArgument]

    package init(_ arguments: [RedisArgument]) { self.arguments = arguments }
    package init(_ arguments: RedisArgument...) { self.arguments = arguments }

    package var name: String {
        guard case .string(let name)? = arguments.first else { return "?" }
        return name.uppercased()
    }

    /// Only the command name: arguments may hold secrets (AUTH) or large payloads.
    package var description: String { name }

    /// Encodes the argv as RESP with hiredis's `redisFormatCommandArgv`.
    package func encode(into buffer: inout ByteBuffer) {
        let count = arguments.count
        var total = 1  // never empty, so the base address exists even for empty arguments
        for argument in arguments { total += argument.utf8Count }
        // Scratch space on the stack (heap only for large payloads): one contiguous copy of
        // the arguments so hiredis gets stable pointers, plus their pointers and lengths.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { storage in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, count)) { lengths in
                withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(1, count)) { pointers in
                    let base = storage.baseAddress!
                    var offset = 0
                    for (index, argument) in arguments.enumerated() {
                        let target = UnsafeMutableBufferPointer(start: base + offset, count: total - offset)
                        let written: Int
                        switch argument {
                        case .string(let text): written = target.initialize(fromContentsOf: text.utf8)
                        case .bytes(let bytes): written = target.initialize(fromContentsOf: bytes)
                        }
                        lengths[index] = written
                        pointers[index] = UnsafeRawPointer(base + offset).assumingMemoryBound(to: CChar.self)
                        offset += written
                    }
                    var target: UnsafeMutablePointer<CChar>?
                    let length = redisFormatCommandArgv(&target, Int32(count), pointers.baseAddress, lengths.baseAddress)
                    guard length > 0, let target else {
                        fatalError("redisFormatCommandArgv failed (out of memory)")
                    }
                    buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
                    redisFreeCommand(target)
                }
            }
        }
    }

    package func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }
}
