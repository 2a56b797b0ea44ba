import ArgumentParser
import Foundation
import OffloadRedis

/// The CPU time every Redis server of a deployment spent: each primary and each replica
/// attached to one, from its own `INFO cpu` (the main thread's user + system time, the
/// thread that runs commands and scripts). Sentinels are left out: they run no commands
/// of the workload.
struct DeploymentCPU {
    struct Node {
        let endpoint: RedisEndpoint
        let isPrimary: Bool
        let client: RedisClient
    }

    let nodes: [Node]

    /// The primaries the client routes to, then the replicas their `INFO replication` lists.
    static func discover(_ configuration: RedisConfiguration, client: RedisClient) async throws -> DeploymentCPU {
        var nodes: [Node] = []
        for primary in try await client.primaries() {
            let primaryClient = RedisClient(configuration: standalone(configuration, primary))
            nodes.append(Node(endpoint: primary, isPrimary: true, client: primaryClient))
            let info = (try await primaryClient.send("INFO", "replication")).string ?? ""
            // slave0:ip=127.0.0.1,port=7001,state=online,offset=…,lag=0
            for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("slave") && line.contains("ip=") {
                var fields: [Substring: Substring] = [:]
                for part in line.drop(while: { $0 != ":" }).dropFirst().split(separator: ",") {
                    let pair = part.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { fields[pair[0]] = pair[1] }
                }
                guard let host = fields["ip"], let port = fields["port"].flatMap({ Int($0) }) else { continue }
                let replica = RedisEndpoint(host: String(host), port: port)
                nodes.append(Node(endpoint: replica, isPrimary: false, client: RedisClient(configuration: standalone(configuration, replica))))
            }
        }
        return DeploymentCPU(nodes: nodes)
    }

    /// One server of the deployment, reached directly.
    static func standalone(_ configuration: RedisConfiguration, _ endpoint: RedisEndpoint) -> RedisConfiguration {
        var node = configuration.node(endpoint).with(poolSize: 1)
        node.topology = .standalone
        return node
    }

    var primaryCount: Int { nodes.filter(\.isPrimary).count }
    var replicaCount: Int { nodes.count - primaryCount }

    /// CPU seconds per node, in the order of `nodes`.
    func snapshot() async throws -> [Double] {
        var seconds: [Double] = []
        for node in nodes {
            let text = (try await node.client.send("INFO", "cpu")).string ?? ""
            var fields: [Substring: Double] = [:]
            for line in text.split(whereSeparator: \.isNewline) {
                let pair = line.split(separator: ":", maxSplits: 1)
                if pair.count == 2, let value = Double(pair[1].trimmingCharacters(in: .whitespaces)) { fields[pair[0]] = value }
            }
            if let user = fields["used_cpu_user_main_thread"], let system = fields["used_cpu_sys_main_thread"] {
                seconds.append(user + system)
            } else if let user = fields["used_cpu_user"], let system = fields["used_cpu_sys"] {
                seconds.append(user + system)
            } else {
                throw ValidationError("no CPU times in INFO cpu of \(node.endpoint)")
            }
        }
        return seconds
    }

    /// Microseconds per job between two snapshots: summed over the primaries, over the
    /// replicas, and the busiest primary's alone (what bounds a deployment whose load sits
    /// on one node).
    func perJob(_ before: [Double], _ after: [Double], jobs: Int) -> RedisCPUReport {
        let micros = zip(before, after).map { ($1 - $0) * 1e6 / Double(max(1, jobs)) }
        let primaries = zip(nodes, micros).filter { $0.0.isPrimary }.map(\.1)
        let replicas = zip(nodes, micros).filter { !$0.0.isPrimary }.map(\.1)
        return RedisCPUReport(
            primariesUs: primaries.reduce(0, +), replicasUs: replicas.reduce(0, +), busiestPrimaryUs: primaries.max() ?? 0,
            byNodeUs: Dictionary(uniqueKeysWithValues: zip(nodes, micros).map { ("\($0.0.isPrimary ? "primary" : "replica") \($0.0.endpoint)", $0.1) }))
    }

    func shutdown() async {
        for node in nodes { await node.client.shutdown() }
    }
}

struct RedisCPUReport: Codable {
    /// Summed over every primary.
    var primariesUs: Double
    var replicasUs: Double
    var busiestPrimaryUs: Double
    var byNodeUs: [String: Double]
}

/// CPU time of a process and all its descendants, from Linux's /proc.
enum ProcessTreeCPU {
    static func seconds(_ pid: Int32) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return tree(pid).reduce(0.0) { total, member in
            // /proc/PID/stat: "pid (comm) state ..." — fields 14 and 15 (utime, stime) come after the ")".
            guard let stat = try? String(contentsOfFile: "/proc/\(member)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return total }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
            return total + (user + system) / ticks
        }
    }

    /// The process and its descendants, from each thread's `children` list.
    static func tree(_ pid: Int32) -> [Int32] {
        var result = [pid]
        var index = 0
        while index < result.count {
            let member = result[index]
            index += 1
            guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(member)/task") else { continue }
            for thread in threads {
                let children = (try? String(contentsOfFile: "/proc/\(member)/task/\(thread)/children", encoding: .utf8)) ?? ""
                result += children.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        return result
    }

    /// This process's own CPU time, all threads.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
