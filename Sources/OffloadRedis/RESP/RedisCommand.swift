import CHiredis
import NIOCore

/// One argument of a Redis command: text or raw bytes, sent binary-safe either way.
public enum RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes([UInt8])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .string(String(value)) }

    public static func int(_ value: Int) -> RedisArgument { .string(String(value)) }
    public static func double(_ value: Double) -> RedisArgument { .string(String(value)) }

    var utf8Count: Int {
        switch self {
        case .string(let text): return text.utf8.count
        case .bytes(let bytes): return bytes.count
        }
    }
}

/// A command as an argument vector, e.g. `RedisCommand("SET", key, value)`.
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    public var arguments: [RedisArgument]

    public init(_ arguments: [RedisArgument]) { self.arguments = arguments }
    public init(_ arguments: RedisArgument...) { self.arguments = arguments }

    public var name: String {
        guard case .string(let name)? = arguments.first else { return "?" }
        return name.uppercased()
    }

    /// Only the command name: arguments may hold secrets (AUTH) or large payloads.
    public var description: String { name }

    /// Encodes the argv as RESP with hiredis's `redisFormatCommandArgv`.
    public func encode(into buffer: inout ByteBuffer) {
        // One contiguous copy of all arguments, so hiredis gets stable pointers into it.
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.utf8Count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            switch argument {
            case .string(let text): storage.append(contentsOf: text.utf8)
            case .bytes(let bytes): storage.append(contentsOf: bytes)
            }
            lengths.append(argument.utf8Count)
        }
        storage.append(0)  // never empty, so the base address exists even for empty arguments

        storage.withUnsafeBufferPointer { base in
            let start = UnsafeRawPointer(base.baseAddress!)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(lengths.count)
            var offset = 0
            for length in lengths {
                pointers.append((start + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            var target: UnsafeMutablePointer<CChar>?
            let length = redisFormatCommandArgv(&target, Int32(lengths.count), &pointers, lengths)
            guard length > 0, let target else {
                fatalError("redisFormatCommandArgv failed (out of memory)")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
            redisFreeCommand(target)
        }
    }

    public func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }
}
