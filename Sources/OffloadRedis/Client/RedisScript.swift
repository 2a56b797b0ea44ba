/// A Lua script run with `EVALSHA`. Its SHA1 is learnt from `SCRIPT LOAD` on first use
/// and the script reloaded whenever Redis answers `NOSCRIPT` (after a restart or
/// `SCRIPT FLUSH`).
package struct RedisScript: Sendable, Hashable {
    package let name: String
    package let source: String

    package init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}
