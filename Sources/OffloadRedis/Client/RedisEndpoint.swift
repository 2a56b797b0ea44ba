/// One Redis server's address: a standalone server, a cluster node or a sentinel.
package struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 host, as Redis writes addresses in
    /// `MOVED` and `ASK` replies.
    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port` (or `[v6]:port`), as found in `MOVED`/`ASK` replies.
    package init?(_ text: Substring) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        self.init(host: String(host), port: port)
    }
}

/// Which kind of deployment `REDIS_URL` names.
package enum RedisTopology: Sendable, Hashable {
    /// One server (`redis://`).
    case standalone
    /// A Redis Cluster reached through seed nodes (`redis+cluster://`): commands are routed
    /// to the primary that owns their key's slot.
    case cluster
    /// A primary found through sentinels (`redis+sentinel://…/MASTER_NAME`), followed
    /// across failovers.
    case sentinel(masterName: String)
}
