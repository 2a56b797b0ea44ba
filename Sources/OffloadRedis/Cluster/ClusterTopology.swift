/// Which primary serves each of the 16384 slots, as the cluster last said.
package struct ClusterTopology: Sendable, Equatable {
    /// One entry per primary, with the replicas that follow it.
    package struct Shard: Sendable, Equatable {
        package var primary: RedisEndpoint
        package var replicas: [RedisEndpoint]
        package var slotRanges: [ClosedRange<Int>]
    }

    package private(set) var shards: [Shard]
    /// slot → index into `shards`; `unassigned` where no primary serves the slot.
    private var owners: [UInt16]
    private static let unassigned = UInt16.max

    package init(shards: [Shard]) {
        self.shards = shards
        owners = [UInt16](repeating: Self.unassigned, count: HashSlot.count)
        for (index, shard) in shards.enumerated() {
            for range in shard.slotRanges {
                for slot in range.clamped(to: 0...(HashSlot.count - 1)) { owners[slot] = UInt16(index) }
            }
        }
    }

    package func primary(for slot: HashSlot) -> RedisEndpoint? {
        let owner = owners[Int(slot.value)]
        return owner == Self.unassigned ? nil : shards[Int(owner)].primary
    }

    package var primaries: [RedisEndpoint] { shards.map(\.primary) }

    /// After a `MOVED`: the slot is served by `endpoint` now, before the next full refresh.
    mutating func move(_ slot: HashSlot, to endpoint: RedisEndpoint) {
        if let index = shards.firstIndex(where: { $0.primary == endpoint }) {
            owners[Int(slot.value)] = UInt16(index)
        } else {
            shards.append(Shard(primary: endpoint, replicas: [], slotRanges: []))
            owners[Int(slot.value)] = UInt16(shards.count - 1)
        }
    }

    /// Parses a `CLUSTER SHARDS` reply (Redis 7): per shard its `slots` (start, end, …)
    /// and `nodes`, of which the online `master` is the primary. `seed` stands in for a
    /// node that reports no address of its own.
    static func parse(shardsReply reply: RESPValue, seed: RedisEndpoint, tls: Bool) throws(RedisError) -> ClusterTopology {
        guard let entries = reply.array else { throw .unexpectedReply("CLUSTER SHARDS is not an array") }
        var shards: [Shard] = []
        for entry in entries {
            guard let fields = entry.fieldMap, let slots = fields["slots"]?.array, let nodes = fields["nodes"]?.array else {
                throw .unexpectedReply("CLUSTER SHARDS entry without slots and nodes")
            }
            var ranges: [ClosedRange<Int>] = []
            var index = 0
            while index + 1 < slots.count {
                if let start = slots[index].int, let end = slots[index + 1].int, start <= end { ranges.append(start...end) }
                index += 2
            }
            var primary: RedisEndpoint?
            var replicas: [RedisEndpoint] = []
            for node in nodes {
                guard let node = node.fieldMap else { continue }
                let port = (tls ? node["tls-port"]?.int : nil) ?? node["port"]?.int
                var host = node["endpoint"]?.string ?? node["ip"]?.string ?? ""
                if host.isEmpty || host == "?" { host = node["ip"]?.string ?? seed.host }
                guard let port, port > 0 else { continue }
                let endpoint = RedisEndpoint(host: host, port: port)
                let healthy = (node["health"]?.string ?? "online") == "online"
                switch node["role"]?.string {
                case "master" where healthy: primary = endpoint
                case "replica" where healthy: replicas.append(endpoint)
                default: break
                }
            }
            // A shard with no slots (a primary being added or emptied) serves nothing yet.
            if let primary, !ranges.isEmpty { shards.append(Shard(primary: primary, replicas: replicas, slotRanges: ranges)) }
        }
        return ClusterTopology(shards: shards)
    }

    /// Parses a `CLUSTER SLOTS` reply: per range `[start, end, [host, port, id], replicas…]`.
    static func parse(slotsReply reply: RESPValue, seed: RedisEndpoint) throws(RedisError) -> ClusterTopology {
        guard let entries = reply.array else { throw .unexpectedReply("CLUSTER SLOTS is not an array") }
        var shards: [Shard] = []
        for entry in entries {
            guard let parts = entry.array, parts.count >= 3, let start = parts[0].int, let end = parts[1].int else {
                throw .unexpectedReply("CLUSTER SLOTS entry without a range and a primary")
            }
            let nodes = parts[2...].compactMap { node -> RedisEndpoint? in
                guard let fields = node.array, fields.count >= 2, let port = fields[1].int else { return nil }
                let host = fields[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 } ?? seed.host
                return RedisEndpoint(host: host, port: port)
            }
            guard let primary = nodes.first else { continue }
            if let index = shards.firstIndex(where: { $0.primary == primary }) {
                shards[index].slotRanges.append(start...end)
            } else {
                shards.append(Shard(primary: primary, replicas: Array(nodes.dropFirst()), slotRanges: [start...end]))
            }
        }
        return ClusterTopology(shards: shards)
    }
}
