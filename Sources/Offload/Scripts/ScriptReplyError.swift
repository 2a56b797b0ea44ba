import OffloadRedis

/// A script's reply that its header does not allow: an error within a pipeline (a command
/// the ACL user may not run, Redis out of memory) or a reply of another shape.
struct ScriptReplyError: Error, CustomStringConvertible {
    let script: String
    let reply: RESPValue

    init(_ script: RedisScript, _ reply: RESPValue) {
        self.script = script.name
        self.reply = reply
    }

    var description: String {
        if case .error(let message) = reply { return "\(script) failed: \(message)" }
        return "\(script) returned \(reply)"
    }
}
