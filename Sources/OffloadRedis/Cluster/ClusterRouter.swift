import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A Redis Cluster (`redis+cluster://`): a pool per primary, each command sent to the
/// primary that owns its key's slot, a pipeline split by node and put back in order.
///
/// The slot map comes from `CLUSTER SHARDS` (`CLUSTER SLOTS` on servers without it),
/// asked of the seeds and every node seen. `MOVED` patches the map and schedules a
/// re-read; `ASK` sends `ASKING` and the command to the target once. Passing states and
/// refused connections are retried with a back-off for `failoverRetryWindow`. A command
/// in flight when its connection drops has an unknown effect: that error reaches the
/// caller, never a silent second run.
final class ClusterRouter: RedisRouter {
    private let configuration: RedisConfiguration
    private let scripts: ScriptRegistry
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let pools = NIOLockedValueBox([RedisEndpoint: RedisNodePool]())
    private let map = NIOLockedValueBox<ClusterTopology?>(nil)
    /// The one refresh under way; callers that need the map meanwhile await it.
    private let refreshing = SharedLookup<ClusterTopology>()
    /// Nodes seen in any map, asked for the topology after the seeds.
    private let knownNodes: NIOLockedValueBox<[RedisEndpoint]>

    init(configuration: RedisConfiguration, scripts: ScriptRegistry, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.scripts = scripts
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.knownNodes = NIOLockedValueBox(configuration.seeds)
    }

    // MARK: Sending

    func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        // The common case as a plain send, with none of a pipeline's bookkeeping: the map
        // names the key's primary. A redirect, a NOSCRIPT or a node out of reach (none of
        // which ran the command) takes the general path, which handles each.
        let slot = try CommandKeys.slot(of: command)
        if let topology = map.withLockedValue({ $0 }),
           let endpoint = slot.map({ topology.primary(for: $0) }) ?? topology.primaries.first {
            do throws(RedisError) {
                return try await pool(endpoint).send(command)
            } catch .server(let message) where ClusterRedirect(message) == nil && !message.hasPrefix("NOSCRIPT") {
                throw .server(message)
            } catch .server, .unavailable {
                // Not run: the general path below.
            } catch {
                throw error
            }
        }
        let reply = try await pipeline([command], replicaWait: nil).replies[0]
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    /// Where one command of a pipeline goes on its next try.
    private enum Route {
        case bySlot
        case moved(RedisEndpoint)
        case asking(RedisEndpoint)
    }

    /// Redirects followed in one call before giving up: slots that keep moving are a
    /// cluster in trouble, not a migration.
    private static let maxRedirects = 16

    func pipeline(_ commands: [RedisCommand], replicaWait: ReplicaWait?) async throws(RedisError) -> RoutedReplies {
        let slots = try commands.map { command throws(RedisError) in try CommandKeys.slot(of: command) }
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        var routes: [Int: Route] = [:]
        var confirmed = replicaWait == nil ? [] : [Int](repeating: 0, count: commands.count)
        var backoff = RetryBackoff(window: configuration.failoverRetryWindow)
        var redirects = 0
        var waitAndRefresh = false
        var lastProblem = "the cluster did not settle"

        /// Takes one reply (with the replicas its server confirmed): final, or the route
        /// of the command's next try.
        func absorb(_ reply: RESPValue, at index: Int, confirmedBy replicas: Int) {
            switch ClusterRedirect(reply) {
            case .moved(let slot, let target)?:
                routes[index] = .moved(target)
                redirects += 1
                map.withLockedValue { $0?.move(slot, to: target) }
                refreshInBackground()
            case .ask(_, let target)?:
                routes[index] = .asking(target)
                redirects += 1
            case .retryLater?:
                // Wait either way; the map is re-read after the pause too, which a
                // TRYAGAIN mid-migration also benefits from.
                routes[index] = .bySlot
                waitAndRefresh = true
                lastProblem = reply.errorMessage ?? lastProblem
            case nil:
                replies[index] = reply
                if replicaWait != nil { confirmed[index] = replicas }
                routes[index] = nil
            }
        }

        // The common case in one write, with no grouping: the map is known and every
        // command goes to the same primary.
        if let topology = map.withLockedValue({ $0 }), let endpoint = Self.sharedTarget(of: slots, in: topology) {
            do throws(RedisError) {
                let sent = try await scripts.pipeline(commands, on: pool(endpoint), replicaWait: replicaWait)
                let replicas = sent.trailer?.int ?? 0
                for (index, reply) in sent.replies.enumerated() { absorb(reply, at: index, confirmedBy: replicas) }
                if routes.isEmpty {
                    return RoutedReplies(replies: replies.map { $0! }, replicasConfirmed: replicaWait == nil ? nil : confirmed)
                }
            } catch .unavailable(let reason) {
                // Never sent: the general path below re-reads the map and tries again.
                for index in commands.indices { routes[index] = .bySlot }
                waitAndRefresh = true
                lastProblem = "\(endpoint): \(reason)"
            }
        } else {
            for index in commands.indices { routes[index] = .bySlot }
        }

        while !routes.isEmpty {
            if waitAndRefresh {
                guard !backoff.expired else { throw .unavailable("cluster unavailable: \(lastProblem)") }
                await backoff.pause()
                _ = try? await refresh()
                waitAndRefresh = false
            } else if redirects > Self.maxRedirects {
                throw .unavailable("cluster redirects did not end: \(lastProblem)")
            }
            let topology = try await currentTopology()
            var groups: [RedisEndpoint: [(index: Int, asking: Bool)]] = [:]
            for (index, route) in routes.sorted(by: { $0.key < $1.key }) {
                switch route {
                case .moved(let endpoint): groups[endpoint, default: []].append((index, false))
                case .asking(let endpoint): groups[endpoint, default: []].append((index, true))
                case .bySlot:
                    if let endpoint = Self.target(slots[index], in: topology) {
                        groups[endpoint, default: []].append((index, false))
                    } else {
                        waitAndRefresh = true  // no primary serves the slot (yet)
                        lastProblem = "slot \(slots[index]!) has no primary"
                    }
                }
            }
            for (endpoint, outcome) in await send(groups, commands: commands, replicaWait: replicaWait) {
                switch outcome {
                case .failure(.unavailable(let reason)):
                    // Nothing was sent: the node is down or gone; re-read the map and retry.
                    for member in groups[endpoint]! { routes[member.index] = .bySlot }
                    waitAndRefresh = true
                    lastProblem = "\(endpoint): \(reason)"
                case .failure(let error):
                    throw error
                case .success(let result):
                    for (member, reply) in zip(groups[endpoint]!, result.replies) {
                        absorb(reply, at: member.index, confirmedBy: result.confirmed ?? 0)
                    }
                }
            }
        }
        return RoutedReplies(replies: replies.map { $0! }, replicasConfirmed: replicaWait == nil ? nil : confirmed)
    }

    /// The one primary every command goes to, if there is one (keyless commands go
    /// wherever the others do).
    private static func sharedTarget(of slots: [HashSlot?], in topology: ClusterTopology) -> RedisEndpoint? {
        var shared: RedisEndpoint?
        for slot in slots {
            guard let slot else { continue }
            guard let endpoint = topology.primary(for: slot) else { return nil }
            if let shared, shared != endpoint { return nil }
            shared = endpoint
        }
        return shared ?? topology.primaries.first
    }

    private struct NodeReplies: Sendable {
        var replies: [RESPValue]
        var confirmed: Int?
    }

    /// One pipeline per node, all at once. An `ASKING` goes right before each command
    /// that was asked to; its `OK` is dropped from the replies.
    private func send(
        _ groups: [RedisEndpoint: [(index: Int, asking: Bool)]], commands: [RedisCommand], replicaWait: ReplicaWait?
    ) async -> [RedisEndpoint: Result<NodeReplies, RedisError>] {
        await withTaskGroup(of: (RedisEndpoint, Result<NodeReplies, RedisError>).self) { group in
            for (endpoint, members) in groups {
                let pool = pool(endpoint)
                let scripts = self.scripts
                group.addTask {
                    var batch: [RedisCommand] = []
                    for member in members {
                        if member.asking { batch.append(RedisCommand("ASKING")) }
                        batch.append(commands[member.index])
                    }
                    do throws(RedisError) {
                        let sent = try await scripts.pipeline(batch, on: pool, replicaWait: replicaWait)
                        var replies: [RESPValue] = []
                        var position = 0
                        for member in members {
                            if member.asking { position += 1 }
                            replies.append(sent.replies[position])
                            position += 1
                        }
                        return (endpoint, .success(NodeReplies(replies: replies, confirmed: sent.trailer?.int)))
                    } catch {
                        return (endpoint, .failure(error))
                    }
                }
            }
            var results: [RedisEndpoint: Result<NodeReplies, RedisError>] = [:]
            for await (endpoint, result) in group { results[endpoint] = result }
            return results
        }
    }

    /// The slot's primary, or any primary for a keyless command.
    private static func target(_ slot: HashSlot?, in topology: ClusterTopology) -> RedisEndpoint? {
        guard let slot else { return topology.primaries.first }
        return topology.primary(for: slot)
    }

    private func pool(_ endpoint: RedisEndpoint) -> RedisNodePool {
        pools.withLockedValue { pools in
            if let pool = pools[endpoint] { return pool }
            let pool = RedisNodePool(configuration: configuration.node(endpoint), eventLoopGroup: eventLoopGroup, logger: logger)
            pools[endpoint] = pool
            return pool
        }
    }

    // MARK: Topology

    private func currentTopology() async throws(RedisError) -> ClusterTopology {
        if let topology = map.withLockedValue({ $0 }) { return topology }
        return try await refresh()
    }

    private func refreshInBackground() {
        Task { _ = try? await self.refresh() }
    }

    /// Re-reads the slot map; concurrent callers share one refresh.
    @discardableResult
    func refresh() async throws(RedisError) -> ClusterTopology {
        try await refreshing.value { await self.readTopology() }
    }

    /// Asks the seeds, then every node seen, until one answers with a map that covers slots.
    private func readTopology() async -> Result<ClusterTopology, RedisError> {
        var candidates = knownNodes.withLockedValue { $0 }
        if let mapped = map.withLockedValue({ $0 }) {
            for shard in mapped.shards { candidates.append(contentsOf: [shard.primary] + shard.replicas) }
        }
        var seen = Set<RedisEndpoint>()
        var problems: [String] = []
        for endpoint in candidates where seen.insert(endpoint).inserted {
            do {
                let topology = try await Self.readTopology(from: pool(endpoint), at: endpoint, tls: configuration.useTLS)
                guard !topology.shards.isEmpty else {
                    problems.append("\(endpoint): no slots assigned")
                    continue
                }
                map.withLockedValue { $0 = topology }
                knownNodes.withLockedValue { known in
                    for shard in topology.shards {
                        for node in [shard.primary] + shard.replicas where !known.contains(node) { known.append(node) }
                    }
                }
                return .success(topology)
            } catch {
                problems.append("\(endpoint): \(error)")
            }
        }
        return .failure(.unavailable("no cluster node gave its slot map (\(problems.joined(separator: "; ")))"))
    }

    private static func readTopology(from pool: RedisNodePool, at endpoint: RedisEndpoint, tls: Bool) async throws(RedisError) -> ClusterTopology {
        do {
            let reply = try await pool.send(RedisCommand("CLUSTER", "SHARDS"))
            return try ClusterTopology.parse(shardsReply: reply, seed: endpoint, tls: tls)
        } catch .server(let message) where message.lowercased().contains("unknown subcommand") {
            let reply = try await pool.send(RedisCommand("CLUSTER", "SLOTS"))
            return try ClusterTopology.parse(slotsReply: reply, seed: endpoint)
        }
    }

    // MARK: Dedicated connections and inspection

    func endpoint(for command: RedisCommand) async throws(RedisError) -> RedisEndpoint {
        let slot = try CommandKeys.slot(of: command)
        if let endpoint = Self.target(slot, in: try await currentTopology()) { return endpoint }
        guard let endpoint = Self.target(slot, in: try await refresh()) else {
            throw .unavailable("cluster unavailable: slot \(slot.map(String.init(describing:)) ?? "-") has no primary")
        }
        return endpoint
    }

    func reportStale(after reply: RedisError) async {
        if case .server(let message) = reply, case .moved(let slot, let target)? = ClusterRedirect(message) {
            map.withLockedValue { $0?.move(slot, to: target) }
        }
        _ = try? await refresh()
    }

    func node(forKey key: String) async throws(RedisError) -> RedisEndpoint {
        try await endpoint(for: RedisCommand("GET", .string(key)))
    }

    func primaries() async throws(RedisError) -> [RedisEndpoint] {
        try await currentTopology().primaries
    }

    func broadcast(_ commands: [RedisCommand]) async throws(RedisError) {
        for endpoint in try await currentTopology().primaries {
            try await pool(endpoint).pipeline(commands).throwingFirstError()
        }
    }

    func shutdown() async {
        let all = pools.withLockedValue { Array($0.values) }
        for pool in all { await pool.shutdown() }
    }
}

extension RESPValue {
    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}

extension [RESPValue] {
    func throwingFirstError() throws(RedisError) {
        if let message = lazy.compactMap(\.errorMessage).first { throw .server(message) }
    }
}
