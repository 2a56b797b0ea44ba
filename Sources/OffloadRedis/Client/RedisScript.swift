/// A Lua script run with `EVALSHA`. Its SHA1 is learnt from `SCRIPT LOAD` on first use
/// and the script reloaded whenever Redis answers `NOSCRIPT` (after a restart or
/// `SCRIPT FLUSH`).
public struct RedisScript: Sendable, Hashable {
    public let name: String
    public let source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}
