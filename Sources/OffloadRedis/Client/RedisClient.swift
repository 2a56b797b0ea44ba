import Logging
import NIOCore
import NIOPosix

/// The Redis client every Offload process uses: pipelined connections on SwiftNIO,
/// reopened on demand, plus dedicated connections for blocking commands. One API over a
/// single server, a Redis Cluster and a Sentinel-managed primary (``RedisTopology``).
package final class RedisClient: Sendable {
    package let configuration: RedisConfiguration
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let router: any RedisRouter
    private let scripts = ScriptRegistry()

    package init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "offload.redis")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        switch configuration.topology {
        case .standalone:
            router = StandaloneRouter(configuration: configuration, scripts: scripts, eventLoopGroup: eventLoopGroup, logger: logger)
        case .cluster:
            router = ClusterRouter(configuration: configuration, scripts: scripts, eventLoopGroup: eventLoopGroup, logger: logger)
        case .sentinel(let masterName):
            router = SentinelRouter(
                configuration: configuration, masterName: masterName, scripts: scripts, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    package convenience init(url: String, logger: Logger = Logger(label: "offload.redis")) throws(RedisError) {
        self.init(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    /// Sends one command on a pooled connection; error replies throw ``RedisError/server(_:)``.
    @discardableResult
    package func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        try await router.send(command)
    }

    @discardableResult
    package func send(_ arguments: RedisArgument...) async throws(RedisError) -> RESPValue {
        try await send(RedisCommand(arguments))
    }

    /// Sends commands together and returns their replies (errors included) in order. On
    /// one server they go in one write on one connection; on a cluster, one write per
    /// node, each command to its slot's primary (a command's own keys must share a slot).
    package func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
        try await router.pipeline(commands, replicaWait: nil).replies
    }

    /// ``pipeline(_:)`` followed, on each server it writes to, by `WAIT` on the same
    /// connection: `replicasConfirmed` holds, per reply, the replicas its server confirmed.
    package func pipeline(_ commands: [RedisCommand], replicaWait: ReplicaWait) async throws(RedisError) -> RoutedReplies {
        try await router.pipeline(commands, replicaWait: replicaWait)
    }

    /// Runs a script with `EVALSHA`; a server that does not have it (`NOSCRIPT`) is sent
    /// its source and the call again.
    @discardableResult
    package func run(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws(RedisError) -> RESPValue {
        try await send(scriptCommand(script, keys: keys, arguments: arguments))
    }

    /// The `EVALSHA` command for a script, for callers that pipeline several script calls
    /// in one round trip. `NOSCRIPT` is handled by the client, in pipelines too.
    package func scriptCommand(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) -> RedisCommand {
        var argv: [RedisArgument] = ["EVALSHA", .string(scripts.hash(of: script)), .int(keys.count)]
        argv.reserveCapacity(3 + keys.count + arguments.count)
        for key in keys { argv.append(.string(key)) }
        argv.append(contentsOf: arguments)
        return RedisCommand(argv)
    }

    /// Loads scripts on every primary ahead of their first call, which otherwise costs one
    /// `NOSCRIPT` round trip per script and server.
    package func loadScripts(_ scripts: [RedisScript]) async throws(RedisError) {
        for script in scripts { _ = self.scripts.hash(of: script) }
        try await router.broadcast(scripts.map { RedisCommand("SCRIPT", "LOAD", .string($0.source)) })
    }

    /// A connection of its own, for blocking commands (`BLPOP`, `XREAD BLOCK`, ...) that
    /// would otherwise hold up every command pipelined behind them. It follows its
    /// command's server: a cluster slot's primary, the sentinels' current primary.
    package func makeDedicatedConnection() -> RedisDedicatedConnection {
        RedisDedicatedConnection(router: router, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Waits on several lists at once, however the deployment spreads them (``RedisListWaiter``).
    package func makeListWaiter() -> RedisListWaiter {
        RedisListWaiter(client: self)
    }

    /// The server that holds `key`: the cluster node that owns its slot, or the server.
    package func node(forKey key: String) async throws(RedisError) -> RedisEndpoint {
        try await router.node(forKey: key)
    }

    /// Every primary of the deployment (one, except on a cluster).
    package func primaries() async throws(RedisError) -> [RedisEndpoint] {
        try await router.primaries()
    }

    package func shutdown() async {
        await router.shutdown()
    }
}
