/// Which arguments of a command are keys, so a cluster client knows where it goes.
///
/// Covers what Offload sends and the usual data commands; a command not listed takes its
/// first argument as its key, which is right for nearly every single-key command.
/// Keyless commands (`PING`, `SCRIPT`, `INFO`, `CONFIG`, …) go to any primary.
enum CommandKeys {
    private static let keyless: Set<String> = [
        "PING", "ECHO", "AUTH", "HELLO", "SELECT", "INFO", "CONFIG", "SCRIPT", "CLUSTER", "CLIENT", "ROLE", "WAIT",
        "ASKING", "READONLY", "READWRITE", "TIME", "DBSIZE", "FLUSHALL", "FLUSHDB", "COMMAND", "SENTINEL", "LASTSAVE",
        "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", "MULTI", "EXEC", "DISCARD", "QUIT",
        "SLOWLOG", "LATENCY", "MEMORY", "DEBUG", "BGSAVE", "BGREWRITEAOF", "SAVE", "SHUTDOWN", "FUNCTION", "ACL",
        "REPLICAOF", "SLAVEOF", "MONITOR", "SWAPDB", "RANDOMKEY", "SCAN", "KEYS", "OBJECT",
    ]
    /// Every argument after the name is a key.
    private static let allKeys: Set<String> = [
        "DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "WATCH", "SUNION", "SINTER", "SDIFF", "PFCOUNT", "PFMERGE",
        "SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE", "RENAME", "RENAMENX",
    ]
    /// Every argument but the last (a timeout) is a key.
    private static let allButLast: Set<String> = ["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX", "BRPOPLPUSH"]
    /// The first two arguments are keys.
    private static let firstTwo: Set<String> = ["LMOVE", "BLMOVE", "RPOPLPUSH", "SMOVE", "COPY", "ZRANGESTORE", "LCS"]

    /// The key arguments of `command`, empty for a keyless one.
    static func keys(of command: RedisCommand) -> ArraySlice<RedisArgument> {
        let arguments = command.arguments
        guard arguments.count > 1 else { return [] }
        let name = command.name
        if keyless.contains(name) { return [] }
        if allKeys.contains(name) { return arguments[1...] }
        if allButLast.contains(name) { return arguments[1..<(arguments.count - 1)] }
        if firstTwo.contains(name) { return arguments[1..<min(3, arguments.count)] }
        switch name {
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard arguments.count > 2, let count = arguments[2].integer, count > 0, arguments.count >= 3 + count else { return [] }
            return arguments[3..<(3 + count)]
        case "MSET", "MSETNX":
            return ArraySlice(stride(from: 1, to: arguments.count, by: 2).map { arguments[$0] })
        case "XREAD", "XREADGROUP":
            guard let streams = arguments.firstIndex(where: { $0.text?.uppercased() == "STREAMS" }) else { return [] }
            let rest = arguments[(streams + 1)...]
            return rest.prefix(rest.count / 2)
        default:
            return arguments[1...1]
        }
    }

    /// The one slot every key of `command` hashes to; nil for a keyless command.
    /// Throws ``RedisError/crossSlot(_:)`` when its keys span slots, before it is sent.
    static func slot(of command: RedisCommand) throws(RedisError) -> HashSlot? {
        var slot: HashSlot?
        for key in keys(of: command) {
            let keySlot = key.slot
            if let slot, slot != keySlot {
                throw .crossSlot("\(command.name) names keys in slots \(slot) and \(keySlot); in a cluster one command's keys must share a slot (a {hash tag})")
            }
            slot = keySlot
        }
        return slot
    }
}

extension RedisArgument {
    var slot: HashSlot {
        switch self {
        case .string(let text): return HashSlot(key: text.utf8)
        case .bytes(let bytes): return HashSlot(key: bytes)
        }
    }

    var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var integer: Int? { text.flatMap { Int($0) } }
}
