import Foundation
import OffloadRedis

/// A real Redis Cluster on loopback for one test: `primaries` primaries with
/// `replicasPerPrimary` replicas each (`redis-server --cluster-enabled yes`, joined by
/// `redis-cli --cluster create`). Every node's cluster bus listens on its port + 10000,
/// so ports are chosen with that one free too.
package final class RedisClusterProcesses: @unchecked Sendable {
    package let nodes: [RedisServerProcess]
    private let primaryCount: Int
    private let replicasPerPrimary: Int

    /// `nodeTimeout`: how long a node may be unreachable before its replica takes over.
    package init(primaries: Int = 3, replicasPerPrimary: Int = 1, nodeTimeout: Duration = .seconds(3), arguments: [String] = []) throws {
        primaryCount = primaries
        self.replicasPerPrimary = replicasPerPrimary
        let count = primaries * (1 + replicasPerPrimary)
        // Below Linux's ephemeral range (32768-60999), the node's port and its bus port
        // (+10000) cannot be taken by some test's outgoing connection before it binds them.
        var ports: [Int] = []
        while ports.count < count {
            let port = Int.random(in: 12_000..<22_000)
            guard !ports.contains(port), FreePort.isFree(port), FreePort.isFree(port + 10000) else { continue }
            ports.append(port)
        }
        nodes = try ports.map { port in
            try RedisServerProcess(
                port: port,
                arguments: [
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes-\(port).conf",
                    "--cluster-node-timeout", "\(nodeTimeout.components.seconds * 1000 + nodeTimeout.components.attoseconds / 1_000_000_000_000_000)",
                    "--appendonly", "yes",
                ] + arguments)
        }
    }

    /// `redis+cluster://` naming every node as a seed.
    package var url: String { "redis+cluster://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    /// Starts the nodes, creates the cluster, and waits until every node says
    /// `cluster_state:ok` and every primary has its replicas in sync.
    package func start() async throws {
        for node in nodes { try await node.start() }
        let create = try ChildProcess(
            try Executable.find("redis-cli"),
            ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
                + ["--cluster-replicas", "\(replicasPerPrimary)", "--cluster-yes"])
        guard await create.waitForExit(timeout: .seconds(120)), create.exitCode == 0 else {
            throw TestSupportError("redis-cli --cluster create failed:\n\(create.output.suffix(2000))")
        }
        try await waitUntilHealthy()
    }

    /// Every node agrees the cluster is up and every primary has its replicas connected.
    package func waitUntilHealthy(timeout: Duration = .seconds(120)) async throws {
        try await waitUntil("the cluster is up with its replicas in sync", timeout: timeout) {
            for node in nodes {
                let client = try RedisClient.forTests(url: node.url)
                defer { Task { await client.shutdown() } }
                guard let info = try? await client.send("CLUSTER", "INFO").string, info.contains("cluster_state:ok") else { return false }
                guard let replication = try? await client.send("INFO", "replication").string else { return false }
                if replication.contains("role:master"), !replication.contains("connected_slaves:\(replicasPerPrimary)") { return false }
                if replication.contains("role:slave"), !replication.contains("master_link_status:up") { return false }
            }
            return true
        }
    }

    /// The nodes that are primaries now, each with the slot ranges it serves.
    package func primaries() async throws -> [(node: RedisServerProcess, slots: [ClosedRange<Int>])] {
        var result: [(RedisServerProcess, [ClosedRange<Int>])] = []
        for node in nodes where node.isRunning {
            let client = try RedisClient.forTests(url: node.url)
            defer { Task { await client.shutdown() } }
            guard let nodesText = try? await client.send("CLUSTER", "NODES").string else { continue }
            for line in nodesText.split(separator: "\n") where line.contains("myself") && line.contains("master") {
                let fields = line.split(separator: " ")
                let ranges = fields.dropFirst(8).compactMap { field -> ClosedRange<Int>? in
                    let bounds = field.split(separator: "-").compactMap { Int($0) }
                    if bounds.count == 2 { return bounds[0]...bounds[1] }
                    if bounds.count == 1 { return bounds[0]...bounds[0] }
                    return nil
                }
                result.append((node, ranges))
            }
        }
        return result
    }

    /// The node serving `slot` as primary now.
    package func primary(for slot: Int) async throws -> RedisServerProcess {
        guard let owner = try await primaries().first(where: { $0.slots.contains { $0.contains(slot) } }) else {
            throw TestSupportError("no primary serves slot \(slot)")
        }
        return owner.node
    }

    /// This node's cluster id.
    package func nodeID(_ node: RedisServerProcess) async throws -> String {
        let client = try RedisClient.forTests(url: node.url)
        defer { Task { await client.shutdown() } }
        guard let id = try await client.send("CLUSTER", "MYID").string else { throw TestSupportError("no CLUSTER MYID") }
        return id
    }

    // MARK: Moving a slot, step by step as `redis-cli --cluster reshard` does

    /// Marks `slot` IMPORTING on `target` and MIGRATING on its owner; returns the owner.
    /// Until ``finishMigration(of:to:)``, keys not yet moved are served by the owner and
    /// the rest answer `ASK`.
    @discardableResult
    package func beginMigration(of slot: Int, to target: RedisServerProcess) async throws -> RedisServerProcess {
        let source = try await primary(for: slot)
        let targetClient = try RedisClient.forTests(url: target.url)
        let sourceClient = try RedisClient.forTests(url: source.url)
        defer { Task { await targetClient.shutdown(); await sourceClient.shutdown() } }
        _ = try await targetClient.send("CLUSTER", "SETSLOT", .int(slot), "IMPORTING", .string(try await nodeID(source)))
        _ = try await sourceClient.send("CLUSTER", "SETSLOT", .int(slot), "MIGRATING", .string(try await nodeID(target)))
        return source
    }

    /// Moves up to `count` of the slot's keys from `source` to `target` (`MIGRATE`).
    /// Returns how many it moved.
    @discardableResult
    package func migrateKeys(of slot: Int, from source: RedisServerProcess, to target: RedisServerProcess, count: Int = 1000) async throws -> Int {
        let client = try RedisClient.forTests(url: source.url)
        defer { Task { await client.shutdown() } }
        let keys = try await client.send("CLUSTER", "GETKEYSINSLOT", .int(slot), .int(count)).array?.compactMap(\.string) ?? []
        guard !keys.isEmpty else { return 0 }
        _ = try await client.send(RedisCommand(["MIGRATE", "127.0.0.1", .int(target.port), "", "0", "30000", "KEYS"] + keys.map { .string($0) }))
        return keys.count
    }

    /// Gives `slot` to `target` on every primary, ending its migration.
    package func finishMigration(of slot: Int, to target: RedisServerProcess) async throws {
        let id = try await nodeID(target)
        for (node, _) in try await primaries() {
            let client = try RedisClient.forTests(url: node.url)
            defer { Task { await client.shutdown() } }
            _ = try await client.send("CLUSTER", "SETSLOT", .int(slot), "NODE", .string(id))
        }
    }

    package func stop() async {
        for node in nodes { await node.stop() }
    }
}

extension FreePort {
    /// True when nothing listens on (or holds) this loopback port.
    package static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Loopback.withAddress(port: port) { bind(fd, $0, $1) } == 0
    }
}

/// One cluster shared by the tests that only read and write their own keys, started on
/// first use and killed with the test process. Tests that fail nodes over or move slots
/// start their own.
package enum SharedRedisCluster {
    private static let started = Task { () throws -> RedisClusterProcesses in
        let cluster = try RedisClusterProcesses()
        try await cluster.start()
        return cluster
    }

    package static func get() async throws -> RedisClusterProcesses { try await started.value }
}

extension RedisClient {
    /// A test client for a cluster or sentinel URL that waits out a failover: its retry
    /// window is longer than a node timeout plus an election.
    package static func forFailoverTests(url: String) throws(RedisError) -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectTimeout = .seconds(30)
        configuration.commandTimeout = .seconds(30)
        configuration.failoverRetryWindow = .seconds(60)
        return RedisClient(configuration: configuration)
    }
}
