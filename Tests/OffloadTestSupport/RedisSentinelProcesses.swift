import Foundation
import OffloadRedis

/// A real Sentinel deployment on loopback for one test: a primary, `replicas` replicas
/// and `sentinels` sentinels (`redis-server --sentinel`) watching it as `masterName`
/// with a quorum of a majority.
package final class RedisSentinelProcesses: @unchecked Sendable {
    package let masterName: String
    package let servers: [RedisServerProcess]
    package let sentinels: [SentinelProcess]

    package init(masterName: String = "offload", replicas: Int = 2, sentinels sentinelCount: Int = 3, downAfter: Duration = .seconds(2)) throws {
        self.masterName = masterName
        let primary = try RedisServerProcess(arguments: ["--appendonly", "yes"])
        var servers = [primary]
        for _ in 0..<replicas {
            servers.append(try RedisServerProcess(arguments: ["--appendonly", "yes", "--replicaof", "127.0.0.1", "\(primary.port)"]))
        }
        self.servers = servers
        let milliseconds = downAfter.components.seconds * 1000 + downAfter.components.attoseconds / 1_000_000_000_000_000
        sentinels = try (0..<sentinelCount).map { _ in
            try SentinelProcess(
                masterName: masterName, primaryPort: primary.port, quorum: sentinelCount / 2 + 1, downAfterMilliseconds: Int(milliseconds))
        }
    }

    /// `redis+sentinel://` naming every sentinel.
    package var url: String {
        "redis+sentinel://" + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/\(masterName)"
    }

    /// Starts the servers, then the sentinels, and waits until the replicas are in sync
    /// and every sentinel sees them and the other sentinels.
    package func start() async throws {
        for server in servers { try await server.start() }
        for sentinel in sentinels { try await sentinel.start() }
        try await waitUntilHealthy()
    }

    package func waitUntilHealthy(timeout: Duration = .seconds(120)) async throws {
        let replicas = servers.count - 1
        try await waitUntil("the primary has its replicas and the sentinels know each other", timeout: timeout) {
            guard let primary = try await currentPrimary() else { return false }
            let client = try RedisClient.forTests(url: primary.url)
            defer { Task { await client.shutdown() } }
            guard let info = try? await client.send("INFO", "replication").string, info.contains("connected_slaves:\(replicas)") else {
                return false
            }
            for sentinel in sentinels {
                let client = try RedisClient.forTests(url: sentinel.url)
                defer { Task { await client.shutdown() } }
                guard let fields = try? await client.send("SENTINEL", "master", .string(masterName)).fieldMap,
                    fields["num-slaves"]?.int == replicas, fields["num-other-sentinels"]?.int == sentinels.count - 1,
                    fields["ip"]?.string == "127.0.0.1", fields["port"]?.int == primary.port
                else { return false }
            }
            return true
        }
    }

    /// The server the first answering sentinel names as the primary.
    package func currentPrimary() async throws -> RedisServerProcess? {
        for sentinel in sentinels where sentinel.isRunning {
            let client = try RedisClient.forTests(url: sentinel.url)
            defer { Task { await client.shutdown() } }
            if let address = try? await client.send("SENTINEL", "get-master-addr-by-name", .string(masterName)).array,
                address.count == 2, let port = address[1].int
            {
                return servers.first { $0.port == port }
            }
        }
        return nil
    }

    /// `SENTINEL FAILOVER`: a replica is promoted without the primary failing.
    package func failover() async throws {
        let client = try RedisClient.forTests(url: sentinels[0].url)
        defer { Task { await client.shutdown() } }
        _ = try await client.send("SENTINEL", "FAILOVER", .string(masterName))
    }

    package func stop() async {
        for sentinel in sentinels { await sentinel.stop() }
        for server in servers { await server.stop() }
    }
}

/// One `redis-server --sentinel` with a config file of its own (sentinels rewrite it).
package final class SentinelProcess: @unchecked Sendable {
    package let port: Int
    private let directory: URL
    private var process: ChildProcess?

    package var url: String { "redis://127.0.0.1:\(port)" }
    package var isRunning: Bool { process?.isRunning ?? false }

    init(masterName: String, primaryPort: Int, quorum: Int, downAfterMilliseconds: Int) throws {
        port = try FreePort.next()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("offload-sentinel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            port \(port)
            bind 127.0.0.1
            dir \(directory.path)
            sentinel monitor \(masterName) 127.0.0.1 \(primaryPort) \(quorum)
            sentinel down-after-milliseconds \(masterName) \(downAfterMilliseconds)
            sentinel failover-timeout \(masterName) 10000
            sentinel parallel-syncs \(masterName) 1

            """
        try config.write(to: directory.appendingPathComponent("sentinel.conf"), atomically: true, encoding: .utf8)
    }

    package func start() async throws {
        let process = try ChildProcess(
            try Executable.find("redis-server"), [directory.appendingPathComponent("sentinel.conf").path, "--sentinel"],
            logPath: directory.appendingPathComponent("sentinel.log").path)
        self.process = process
        let client = try RedisClient.forTests(url: url)
        defer { Task { await client.shutdown() } }
        try await waitUntil("sentinel on \(port) answers", timeout: .seconds(60)) {
            guard process.isRunning else { throw TestSupportError("sentinel exited:\n\(process.output.suffix(2000))") }
            return (try? await client.send("PING")) != nil
        }
    }

    package func stop() async {
        await process?.stop()
        process = nil
    }

    deinit {
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Holds a loopback port bound (not listening) so no other test's server can take it:
/// connections to it are refused, as to a dead server. Sentinels keep reconfiguring a
/// killed primary's address (`REPLICAOF`, `CLIENT KILL TYPE normal`), which would hit
/// whatever server another test started on the freed port.
package final class PortReservation: @unchecked Sendable {
    private let descriptor: Int32

    package init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        // The killed server's connections linger in TIME_WAIT; they must not stop the bind.
        if descriptor >= 0 { setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard descriptor >= 0, Loopback.withAddress(port: port, { bind(descriptor, $0, $1) }) == 0 else {
            if descriptor >= 0 { close(descriptor) }
            throw TestSupportError("cannot hold port \(port)")
        }
    }

    deinit { close(descriptor) }
}
