import Crypto
import NIOConcurrencyHelpers

/// The scripts a client has run, by SHA1. The hash is computed here, so a script call
/// needs no `SCRIPT LOAD` first; a server that answers `NOSCRIPT` (restarted, flushed,
/// or a cluster node that never saw it) is sent the source and the call again.
final class ScriptRegistry: Sendable {
    private let sources = NIOLockedValueBox([String: String]())
    private let hashes = NIOLockedValueBox([String: String]())

    /// The SHA1 of `script`, remembered with its source.
    func hash(of script: RedisScript) -> String {
        if let sha = hashes.withLockedValue({ $0[script.name] }) { return sha }
        let sha = Insecure.SHA1.hash(data: Array(script.source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        hashes.withLockedValue { $0[script.name] = sha }
        sources.withLockedValue { $0[sha] = script.source }
        return sha
    }

    /// When `reply` is `NOSCRIPT` for an `EVALSHA` this registry issued: the `SCRIPT LOAD`
    /// that puts it back on the server. The call itself did not run and can be sent again.
    func loadCommand(after reply: RESPValue, to command: RedisCommand) -> RedisCommand? {
        guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT"), command.name == "EVALSHA",
            command.arguments.count > 1, let sha = command.arguments[1].text,
            let source = sources.withLockedValue({ $0[sha] })
        else { return nil }
        return RedisCommand("SCRIPT", "LOAD", .string(source))
    }

    /// Sends `commands` to `pool`; script calls that met `NOSCRIPT` are loaded there and
    /// sent once more, so they run after the pipeline's other commands. With a
    /// `replicaWait`, its `WAIT` goes last in each write, so it covers the calls sent again
    /// too, and the write may take the WAIT's timeout longer; `trailer` is its reply.
    func pipeline(
        _ commands: [RedisCommand], on pool: RedisNodePool, replicaWait: ReplicaWait? = nil
    ) async throws(RedisError) -> (replies: [RESPValue], trailer: RESPValue?) {
        let trailer = replicaWait?.command
        let timeout = replicaWait.map { pool.commandTimeout + $0.timeout }
        // No copy of the commands unless there is a trailer to append.
        var replies = try await pool.pipeline(trailer.map { commands + [$0] } ?? commands, timeout: timeout)
        var trailerReply = trailer == nil ? nil : replies.removeLast()
        let missing = commands.indices.compactMap { index in
            loadCommand(after: replies[index], to: commands[index]).map { (index, $0) }
        }
        guard !missing.isEmpty else { return (replies, trailerReply) }
        let loads = Array(Set(missing.map(\.1)))
        var again = try await pool.pipeline(loads + missing.map { commands[$0.0] } + (trailer.map { [$0] } ?? []), timeout: timeout)
        if trailer != nil { trailerReply = again.removeLast() }
        for (offset, (index, _)) in missing.enumerated() { replies[index] = again[loads.count + offset] }
        return (replies, trailerReply)
    }
}
