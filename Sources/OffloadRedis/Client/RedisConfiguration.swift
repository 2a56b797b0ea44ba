/// Where and how to connect: parsed from `REDIS_URL` (``init(url:)``).
///
/// - `redis://[user:password@]host:port/db` (`rediss://` for TLS): one server.
/// - `redis+cluster://[user:password@]host:port[,host:port…]`: a Redis Cluster, through
///   any of its nodes (the seeds).
/// - `redis+sentinel://[user:password@]host:port[,host:port…]/MASTER_NAME[/db]`: the
///   primary the sentinels know as `MASTER_NAME`. The credentials are the primary's;
///   sentinels are asked without them.
///
/// `rediss+cluster://` and `rediss+sentinel://` use TLS to every node.
package struct RedisConfiguration: Sendable, Equatable {
    /// The server connections go to. For a cluster or sentinel deployment, the first seed;
    /// the client sets it per node (``node(_:)``).
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?
    package var database: Int
    package var useTLS: Bool
    package var topology: RedisTopology
    /// The addresses given in the URL: the server, the cluster's seed nodes or the sentinels.
    package var seeds: [RedisEndpoint]
    /// Every new connection checks `ROLE` and refuses a server that is not a primary
    /// (set for connections to a primary found through sentinels).
    package var requirePrimaryRole: Bool = false
    package var connectTimeout: Duration
    /// Applies to every command except blocking ones, which pass their own deadline.
    package var commandTimeout: Duration
    /// Connections shared by all callers, per server; each one pipelines many commands.
    package var poolSize: Int
    /// How long a command keeps being retried while a cluster moves its slots or a
    /// primary fails over (`MOVED`, `TRYAGAIN`, `CLUSTERDOWN`, `READONLY`, refused
    /// connections), with a back-off between tries.
    package var failoverRetryWindow: Duration = .seconds(5)

    package static let defaultURL = "redis://127.0.0.1:6379"

    package init(
        host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
        database: Int = 0, useTLS: Bool = false, topology: RedisTopology = .standalone, seeds: [RedisEndpoint]? = nil,
        connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(5), poolSize: Int = 2
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.useTLS = useTLS
        self.topology = topology
        self.seeds = seeds ?? [RedisEndpoint(host: host, port: port)]
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
    }

    package init(url: String) throws(RedisError) {
        self = try RedisURL.parse(url)
    }

    /// The URL with any password replaced, safe for logs and error messages.
    package static func redacted(_ url: String) -> String { RedisURL.redacted(url) }

    package var endpoint: RedisEndpoint { RedisEndpoint(host: host, port: port) }

    package var displayAddress: String {
        let tls = useTLS ? "rediss" : "redis"
        switch topology {
        case .standalone: return "\(tls)://\(endpoint)/\(database)"
        case .cluster: return "\(tls)+cluster://\(seeds.map(\.description).joined(separator: ","))"
        case .sentinel(let name):
            return "\(tls)+sentinel://\(seeds.map(\.description).joined(separator: ","))/\(name)/\(database)"
        }
    }

    /// The one server a connection goes to, for its log lines and errors.
    package var nodeAddress: String { "\(useTLS ? "rediss" : "redis")://\(endpoint)/\(database)" }

    /// The same credentials and limits for one server of the deployment.
    package func node(_ endpoint: RedisEndpoint) -> RedisConfiguration {
        var copy = self
        copy.host = endpoint.host
        copy.port = endpoint.port
        return copy
    }
}

extension RedisConfiguration {
    package func with(poolSize: Int) -> RedisConfiguration {
        var copy = self
        copy.poolSize = poolSize
        return copy
    }
}
