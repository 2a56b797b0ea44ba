import Logging
import NIOCore

/// One server (`redis://`): every command to its pool.
final class StandaloneRouter: RedisRouter {
    private let pool: RedisNodePool
    private let scripts: ScriptRegistry

    init(configuration: RedisConfiguration, scripts: ScriptRegistry, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.pool = RedisNodePool(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.scripts = scripts
    }

    func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        do {
            return try await pool.send(command)
        } catch .server(let message) where message.hasPrefix("NOSCRIPT") {
            let reply = try await scripts.pipeline([command], on: pool).replies[0]
            if case .error(let message) = reply { throw .server(message) }
            return reply
        }
    }

    func pipeline(_ commands: [RedisCommand], replicaWait: ReplicaWait?) async throws(RedisError) -> RoutedReplies {
        let sent = try await scripts.pipeline(commands, on: pool, replicaWait: replicaWait)
        let confirmed = sent.trailer?.int ?? 0
        return RoutedReplies(replies: sent.replies, replicasConfirmed: replicaWait.map { _ in sent.replies.map { _ in confirmed } })
    }

    func endpoint(for command: RedisCommand) async throws(RedisError) -> RedisEndpoint { pool.endpoint }
    func reportStale(after reply: RedisError) async {}
    func node(forKey key: String) async throws(RedisError) -> RedisEndpoint { pool.endpoint }
    func primaries() async throws(RedisError) -> [RedisEndpoint] { [pool.endpoint] }
    func broadcast(_ commands: [RedisCommand]) async throws(RedisError) { try await pool.pipeline(commands).throwingFirstError() }
    func shutdown() async { await pool.shutdown() }
}
