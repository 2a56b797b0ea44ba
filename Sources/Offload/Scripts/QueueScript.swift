import OffloadRedis

/// A call of one of the engine's Lua scripts, each one state change of a queue carried out
/// atomically in Redis. The conforming type holds the call's inputs, builds KEYS and ARGV
/// from them in the order its script's header states, and decodes the reply into named
/// fields. Every key is one queue's, so a call touches one Redis Cluster slot.
protocol QueueScript {
    associatedtype Reply
    /// The script's name and source; every one is listed in `QueueScripts.all`.
    static var script: RedisScript { get }
    var keys: [String] { get }
    var arguments: [RedisArgument] { get }
    /// The reply decoded; a reply the script's header does not allow is thrown.
    func reply(from value: RESPValue) throws(ScriptReplyError) -> Reply
}
