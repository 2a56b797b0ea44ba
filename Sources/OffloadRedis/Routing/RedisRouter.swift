/// How a client reaches its deployment: one server, the primaries of a cluster, or the
/// primary that sentinels name. ``RedisClient`` is the same API over all three.
protocol RedisRouter: Sendable {
    /// One command; an error reply is thrown as ``RedisError/server(_:)``.
    func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue
    /// Replies in the order of `commands`, errors as values. With `replicaWait`, every
    /// server written to is also sent `WAIT` behind the commands, on the same connection.
    func pipeline(_ commands: [RedisCommand], replicaWait: ReplicaWait?) async throws(RedisError) -> RoutedReplies
    /// The server a blocking command on a dedicated connection must go to now.
    func endpoint(for command: RedisCommand) async throws(RedisError) -> RedisEndpoint
    /// A dedicated connection's command got `reply` (or failed to connect): the router's
    /// view of the deployment may be stale.
    func reportStale(after reply: RedisError) async
    /// Where the slot of `key` lives (the server itself when not a cluster).
    func node(forKey key: String) async throws(RedisError) -> RedisEndpoint
    /// Every primary: the one server, or each primary of a cluster.
    func primaries() async throws(RedisError) -> [RedisEndpoint]
    /// Sends `commands` to every primary (`SCRIPT LOAD` ahead of first use).
    func broadcast(_ commands: [RedisCommand]) async throws(RedisError)
    func shutdown() async
}

/// Ask each written server to confirm replication before the writes count as accepted.
package struct ReplicaWait: Sendable, Hashable {
    package var replicas: Int
    package var timeout: Duration

    package init(replicas: Int, timeout: Duration) {
        self.replicas = replicas
        self.timeout = timeout
    }

    var command: RedisCommand {
        let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        return RedisCommand("WAIT", .int(replicas), .int(milliseconds))
    }
}

/// A pipeline's replies and, when it asked for a ``ReplicaWait``, how many replicas
/// confirmed each reply's write: the `WAIT` answer of the server that command ran on, so
/// on a cluster a shard without its replica does not hold back writes to the others.
package struct RoutedReplies: Sendable {
    package var replies: [RESPValue]
    /// One count per reply, in order; nil when no confirmation was asked for.
    package var replicasConfirmed: [Int]?
}
