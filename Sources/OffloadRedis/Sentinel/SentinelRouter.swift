import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A primary found through sentinels (`redis+sentinel://…/MASTER_NAME`) and followed
/// across failovers.
///
/// The sentinels are asked in turn (`SENTINEL get-master-addr-by-name`); every new
/// connection to the primary checks `ROLE`. The pool is dropped and the primary found
/// again when a sentinel announces `+switch-master` (a connection to each sentinel stays
/// subscribed), when a command meets `READONLY` (a demoted primary), or when the primary
/// cannot be reached; commands that did not run are retried with a back-off for
/// `failoverRetryWindow`. The list of sentinels grows with `SENTINEL sentinels`.
///
/// From a sentinel's `+try-failover` until `+switch-master` (or an abort, or at most
/// `failoverRetryWindow`) nothing is sent: the old primary still takes writes, and its
/// replicas still confirm them, until the sentinels re-point it, and all of them are
/// then replaced by the new primary's data.
final class SentinelRouter: RedisRouter {
    private let configuration: RedisConfiguration
    private let masterName: String
    private let scripts: ScriptRegistry
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let sentinels: NIOLockedValueBox<[RedisEndpoint]>
    private let primary = NIOLockedValueBox<RedisNodePool?>(nil)
    private let resolving = SharedLookup<RedisNodePool>()
    private let watchers = NIOLockedValueBox<[RedisEndpoint: Task<Void, Never>]>([:])
    private let watchConnections = NIOLockedValueBox<[RedisEndpoint: RedisConnection]>([:])
    private let isShutDown = NIOLockedValueBox(false)
    /// When a sentinel announced that a failover of the primary began; nil when none is on.
    private let failoverBegan = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    /// The new primary a `+switch-master` named, tried first when resolving next.
    private let announcedPrimary = NIOLockedValueBox<RedisEndpoint?>(nil)

    init(
        configuration: RedisConfiguration, masterName: String, scripts: ScriptRegistry, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) {
        var primaryConfiguration = configuration
        primaryConfiguration.requirePrimaryRole = true
        self.configuration = primaryConfiguration
        self.masterName = masterName
        self.scripts = scripts
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.sentinels = NIOLockedValueBox(configuration.seeds)
    }

    // MARK: Sending

    func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        // The common case as a plain send: a known primary and no failover under way. A
        // READONLY, a NOSCRIPT or a pool out of reach (none of which ran the command) takes
        // the general path, which handles each.
        if !isHoldingForFailover, let pool = primary.withLockedValue({ $0 }) {
            do throws(RedisError) {
                return try await pool.send(command)
            } catch .server(let message) where !message.hasPrefix("READONLY") && !message.hasPrefix("NOSCRIPT") {
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

    func pipeline(_ commands: [RedisCommand], replicaWait: ReplicaWait?) async throws(RedisError) -> RoutedReplies {
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        var remaining = Array(commands.indices)
        var confirmed = [Int](repeating: 0, count: commands.count)
        var backoff = RetryBackoff(window: configuration.failoverRetryWindow)
        var problem = "no primary"
        while true {
            var used: RedisNodePool?
            do {
                let pool = try await currentPrimary()
                used = pool
                let sent = try await scripts.pipeline(remaining.map { commands[$0] }, on: pool, replicaWait: replicaWait)
                let count = sent.trailer?.int ?? 0
                var demoted = false
                var again: [Int] = []
                for (index, reply) in zip(remaining, sent.replies) {
                    // Only a write to a demoted primary says READONLY, and it did not run.
                    if let message = reply.errorMessage, message.hasPrefix("READONLY") {
                        again.append(index)
                        demoted = true
                        problem = "\(pool.endpoint): \(message)"
                    } else {
                        replies[index] = reply
                        confirmed[index] = count
                    }
                }
                remaining = again
                if remaining.isEmpty { break }
                if demoted { forget(pool) }
            } catch .unavailable(let reason) {
                // Only the pool that failed: another caller may have found the new one already.
                problem = reason
                if let used { forget(used) }
            }
            guard !backoff.expired, !isShutDown.withLockedValue({ $0 }) else {
                throw .unavailable("sentinel primary '\(masterName)' unavailable: \(problem)")
            }
            await backoff.pause()
        }
        return RoutedReplies(replies: replies.map { $0! }, replicasConfirmed: replicaWait == nil ? nil : confirmed)
    }

    // MARK: Finding the primary

    /// From a sentinel's `+try-failover` until its `+switch-master`, an abort, or the retry
    /// window: the old primary may still take writes that the failover will discard.
    private var isHoldingForFailover: Bool {
        guard let began = failoverBegan.withLockedValue({ $0 }) else { return false }
        return ContinuousClock.now - began < configuration.failoverRetryWindow
    }

    private func currentPrimary() async throws(RedisError) -> RedisNodePool {
        if isHoldingForFailover {
            throw .unavailable("the sentinels are failing over '\(masterName)'")
        }
        if let pool = primary.withLockedValue({ $0 }) { return pool }
        return try await resolving.value { await self.resolve() }
    }

    /// Drops a pool that no longer leads to the primary; the next command resolves again.
    /// Its connections close once the commands in flight on them have had their time:
    /// closing at once would turn their replies into "connection closed", effect unknown.
    private func forget(_ pool: RedisNodePool) {
        let dropped = primary.withLockedValue { current -> Bool in
            guard current === pool else { return false }
            current = nil
            return true
        }
        if dropped { retire(pool) }
    }

    private func retire(_ pool: RedisNodePool) {
        let grace = configuration.commandTimeout
        Task {
            try? await Task.sleep(for: grace)
            await pool.shutdown()
        }
    }

    /// The primary a `+switch-master` announced, else the first a sentinel names that we
    /// can reach. (A sentinel that has not seen the switch yet names the old one, which
    /// still answers `ROLE` as a primary until it is re-pointed.)
    private func resolve() async -> Result<RedisNodePool, RedisError> {
        var problems: [String] = []
        if let endpoint = announcedPrimary.withLockedValue({ $0 }) {
            do {
                return .success(try await connect(to: endpoint))
            } catch {
                problems.append("announced \(endpoint): \(error)")
            }
        }
        for sentinel in sentinels.withLockedValue({ $0 }) {
            do {
                return .success(try await connect(to: try await askForPrimary(sentinel)))
            } catch {
                problems.append("\(sentinel): \(error)")
            }
        }
        return .failure(.unavailable("no sentinel named a reachable primary for '\(masterName)' (\(problems.joined(separator: "; ")))"))
    }

    /// Makes `endpoint` the primary once its first connection has checked `ROLE`.
    private func connect(to endpoint: RedisEndpoint) async throws(RedisError) -> RedisNodePool {
        let pool = RedisNodePool(configuration: configuration.node(endpoint), eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            _ = try await pool.send(RedisCommand("PING"))
        } catch {
            await pool.shutdown()
            throw error
        }
        let replaced = primary.withLockedValue { current -> RedisNodePool? in
            defer { current = pool }
            return current
        }
        if let replaced { retire(replaced) }
        startWatching()
        logger.debug("sentinel primary", metadata: ["master": "\(masterName)", "primary": "\(endpoint)"])
        return pool
    }

    private func sentinelConnection(_ sentinel: RedisEndpoint, onPush: (@Sendable (RESPValue) -> Void)? = nil) async throws(RedisError) -> RedisConnection {
        // Sentinels keep no data: no credentials, no database, no role check.
        var sentinelConfiguration = configuration.node(sentinel)
        sentinelConfiguration.username = nil
        sentinelConfiguration.password = nil
        sentinelConfiguration.database = 0
        sentinelConfiguration.requirePrimaryRole = false
        return try await RedisConnection.connect(
            configuration: sentinelConfiguration, eventLoop: eventLoopGroup.next(), logger: logger, onPush: onPush)
    }

    private func askForPrimary(_ sentinel: RedisEndpoint) async throws(RedisError) -> RedisEndpoint {
        let connection = try await sentinelConnection(sentinel)
        defer { Task { await connection.close() } }
        let replies = try await connection.pipeline([
            RedisCommand("SENTINEL", "get-master-addr-by-name", .string(masterName)),
            RedisCommand("SENTINEL", "sentinels", .string(masterName)),
        ])
        guard let address = replies[0].array, address.count == 2, let host = address[0].string, let port = address[1].int else {
            throw .unavailable("sentinel \(sentinel) knows no master '\(masterName)'")
        }
        if let others = replies[1].array {
            let found = others.compactMap { entry -> RedisEndpoint? in
                guard let fields = entry.fieldMap, let ip = fields["ip"]?.string, let port = fields["port"]?.int else { return nil }
                return RedisEndpoint(host: ip, port: port)
            }
            sentinels.withLockedValue { known in
                // The one that answered first next time; newly found ones at the end.
                known.removeAll { $0 == sentinel }
                known.insert(sentinel, at: 0)
                for endpoint in found where !known.contains(endpoint) { known.append(endpoint) }
            }
        }
        return RedisEndpoint(host: host, port: port)
    }

    // MARK: Following failovers

    /// A subscribed connection to every sentinel known: the sentinel that leads a failover
    /// announces `+switch-master` only when the failover ends, seconds after the others.
    private func startWatching() {
        let known = sentinels.withLockedValue { $0 }
        watchers.withLockedValue { watchers in
            for sentinel in known where watchers[sentinel] == nil {
                watchers[sentinel] = Task { await self.watch(sentinel) }
            }
        }
    }

    private func watch(_ sentinel: RedisEndpoint) async {
        while !Task.isCancelled, !isShutDown.withLockedValue({ $0 }) {
            do {
                let connection = try await sentinelConnection(sentinel) { [weak self] push in self?.handle(push) }
                watchConnections.withLockedValue { $0[sentinel] = connection }
                _ = try await connection.send(RedisCommand(["SUBSCRIBE"] + Self.events.map { .string($0) }))
                // Waits here until the connection drops.
                try? await connection.channel.closeFuture.get()
            } catch {
                logger.debug("sentinel subscription failed", metadata: ["sentinel": "\(sentinel)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The sentinel events followed: a failover's start, its end, and its aborts.
    private static let events = [
        "+try-failover", "+switch-master",
        "-failover-abort-not-elected", "-failover-abort-no-good-slave", "-failover-abort-slave-timeout",
    ]

    /// `message +switch-master "<name> <old-ip> <old-port> <new-ip> <new-port>"`; the
    /// others' payload is `"master <name> <ip> <port>"`.
    private func handle(_ push: RESPValue) {
        guard let parts = push.array, parts.count == 3, parts[0].string == "message", let event = parts[1].string,
            let words = parts[2].string?.split(separator: " ")
        else { return }
        switch event {
        case "+switch-master":
            guard words.count == 5, words[0] == masterName, let port = Int(words[4]) else { return }
            logger.info("sentinel switched primary", metadata: ["master": "\(masterName)", "to": "\(words[3]):\(words[4])"])
            announcedPrimary.withLockedValue { $0 = RedisEndpoint(host: String(words[3]), port: port) }
            if let pool = primary.withLockedValue({ $0 }) { forget(pool) }
            failoverBegan.withLockedValue { $0 = nil }
        case "+try-failover":
            guard words.count >= 2, words[0] == "master", words[1] == masterName else { return }
            let window = configuration.failoverRetryWindow
            let began = failoverBegan.withLockedValue { began -> Bool in
                // A hold that ran out without a switch is over; this is a new failover.
                if let since = began, ContinuousClock.now - since < window { return false }
                began = .now
                return true
            }
            if began { logger.info("sentinel failover began; holding commands until the switch", metadata: ["master": "\(masterName)"]) }
            if let pool = primary.withLockedValue({ $0 }) { forget(pool) }
        default:  // an abort: the primary stays
            guard words.count >= 2, words[0] == "master", words[1] == masterName else { return }
            logger.info("sentinel failover aborted", metadata: ["master": "\(masterName)", "event": "\(event)"])
            failoverBegan.withLockedValue { $0 = nil }
        }
    }

    // MARK: Dedicated connections and inspection

    func endpoint(for command: RedisCommand) async throws(RedisError) -> RedisEndpoint {
        try await currentPrimary().endpoint
    }

    func reportStale(after reply: RedisError) async {
        if let pool = primary.withLockedValue({ $0 }) { forget(pool) }
    }

    func node(forKey key: String) async throws(RedisError) -> RedisEndpoint { try await currentPrimary().endpoint }
    func primaries() async throws(RedisError) -> [RedisEndpoint] { [try await currentPrimary().endpoint] }

    func broadcast(_ commands: [RedisCommand]) async throws(RedisError) {
        try await currentPrimary().pipeline(commands).throwingFirstError()
    }

    func shutdown() async {
        isShutDown.withLockedValue { $0 = true }
        for task in watchers.withLockedValue({ Array($0.values) }) { task.cancel() }
        for connection in watchConnections.withLockedValue({ Array($0.values) }) { await connection.close() }
        await primary.withLockedValue { $0 }?.shutdown()
    }
}
