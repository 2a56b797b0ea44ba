import Testing

@testable import OffloadRedis

/// How the client decides where a command goes: slots, keys, redirects, topology, URLs.
@Suite struct ClusterRoutingTests {
    @Test func slotsMatchTheClusterSpecification() {
        // The specification's check value: CRC16-XMODEM("123456789") = 0x31C3.
        #expect(HashSlot(key: "123456789").value == 0x31C3 % 16384)
        // Values Redis itself gives (CLUSTER KEYSLOT).
        #expect(HashSlot(key: "foo").value == 12182)
        #expect(HashSlot(key: "bar").value == 5061)
        #expect(HashSlot(key: "").value == 0)
    }

    @Test func hashTagsFollowTheSpecification() {
        #expect(HashSlot(key: "{user1000}.following") == HashSlot(key: "{user1000}.followers"))
        #expect(HashSlot(key: "offload:{emails}:pending") == HashSlot(key: "emails"))
        // An empty tag hashes the whole key; only the first `{…}` counts.
        #expect(HashSlot(key: "foo{}{bar}") == HashSlot(key: Array("foo{}{bar}".utf8)))
        #expect(HashSlot(key: "foo{}{bar}") != HashSlot(key: "bar"))
        #expect(HashSlot(key: "foo{{bar}}zap") == HashSlot(key: "{bar"))
        #expect(HashSlot(key: "foo{bar}{zap}") == HashSlot(key: "bar"))
    }

    @Test func commandsNameTheirKeys() throws {
        func keys(_ arguments: RedisArgument...) -> [String] {
            CommandKeys.keys(of: RedisCommand(arguments)).compactMap(\.text)
        }
        #expect(keys("GET", "a") == ["a"])
        #expect(keys("HSET", "h", "f", "v") == ["h"])
        #expect(keys("EVALSHA", "abc", "2", "k1", "k2", "arg") == ["k1", "k2"])
        #expect(keys("EVALSHA", "abc", "0", "arg").isEmpty)
        #expect(keys("BLPOP", "l1", "l2", "1.5") == ["l1", "l2"])
        #expect(keys("MSET", "a", "1", "b", "2") == ["a", "b"])
        #expect(keys("XREAD", "COUNT", "5", "BLOCK", "10", "STREAMS", "s1", "s2", "0", "0") == ["s1", "s2"])
        #expect(keys("DEL", "a", "b") == ["a", "b"])
        #expect(keys("PING").isEmpty)
        #expect(keys("SCRIPT", "LOAD", "return 1").isEmpty)
        #expect(keys("WAIT", "1", "100").isEmpty)
    }

    @Test func crossSlotCommandsAreRefusedBeforeTheyLeave() throws {
        #expect(throws: RedisError.self) { try CommandKeys.slot(of: RedisCommand("MGET", "a", "b")) }
        #expect(try CommandKeys.slot(of: RedisCommand("MGET", "{q}:a", "{q}:b")) == HashSlot(key: "q"))
        #expect(try CommandKeys.slot(of: RedisCommand("PING")) == nil)
    }

    @Test func redirectsAreRead() {
        #expect(ClusterRedirect("MOVED 3999 127.0.0.1:6381") == .moved(HashSlot(3999), RedisEndpoint(host: "127.0.0.1", port: 6381)))
        #expect(ClusterRedirect("ASK 3999 [::1]:6381") == .ask(HashSlot(3999), RedisEndpoint(host: "::1", port: 6381)))
        #expect(ClusterRedirect("TRYAGAIN Multiple keys request during rehashing of slot") == .retryLater)
        #expect(ClusterRedirect("CLUSTERDOWN The cluster is down") == .retryLater)
        #expect(ClusterRedirect("READONLY You can't write against a read only replica.") == .retryLater)
        #expect(ClusterRedirect("LOADING Redis is loading the dataset in memory") == .retryLater)
        #expect(ClusterRedirect("ERR unknown command") == nil)
        #expect(ClusterRedirect("MOVED notaslot x") == nil)
    }

    @Test func topologyFromClusterShards() throws {
        func node(_ port: Int, _ role: String, health: String = "online") -> RESPValue {
            .array([
                .bulkString(Array("id".utf8)), .bulkString(Array("n\(port)".utf8)),
                .bulkString(Array("port".utf8)), .integer(Int64(port)),
                .bulkString(Array("ip".utf8)), .bulkString(Array("127.0.0.1".utf8)),
                .bulkString(Array("endpoint".utf8)), .bulkString(Array("127.0.0.1".utf8)),
                .bulkString(Array("role".utf8)), .bulkString(Array(role.utf8)),
                .bulkString(Array("health".utf8)), .bulkString(Array(health.utf8)),
            ])
        }
        func shard(_ slots: [Int64], _ nodes: [RESPValue]) -> RESPValue {
            .array([
                .bulkString(Array("slots".utf8)), .array(slots.map { .integer($0) }),
                .bulkString(Array("nodes".utf8)), .array(nodes),
            ])
        }
        let reply = RESPValue.array([
            shard([0, 5460], [node(7000, "master"), node(7003, "replica")]),
            shard([5461, 10922, 16000, 16383], [node(7001, "master", health: "failed"), node(7004, "master")]),
            shard([], [node(7002, "master")]),
        ])
        let topology = try ClusterTopology.parse(shardsReply: reply, seed: RedisEndpoint(host: "h", port: 1), tls: false)
        #expect(topology.primaries.map(\.port) == [7000, 7004])
        #expect(topology.primary(for: HashSlot(0))?.port == 7000)
        #expect(topology.primary(for: HashSlot(16100))?.port == 7004)
        #expect(topology.primary(for: HashSlot(12000)) == nil)
        #expect(topology.shards[0].replicas.map(\.port) == [7003])
    }

    @Test func topologyFromClusterSlots() throws {
        func address(_ port: Int64) -> RESPValue { .array([.bulkString(Array("127.0.0.1".utf8)), .integer(port), .bulkString([])]) }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(100), address(7000), address(7003)]),
            .array([.integer(101), .integer(199), address(7001)]),
            .array([.integer(200), .integer(200), address(7000)]),
            .array([.integer(201), .integer(16383), address(7001)]),
        ])
        var topology = try ClusterTopology.parse(slotsReply: reply, seed: RedisEndpoint(host: "h", port: 1))
        #expect(topology.primaries.map(\.port) == [7000, 7001])
        #expect(topology.primary(for: HashSlot(200))?.port == 7000)
        topology.move(HashSlot(50), to: RedisEndpoint(host: "127.0.0.1", port: 7001))
        #expect(topology.primary(for: HashSlot(50))?.port == 7001)
        #expect(topology.primary(for: HashSlot(51))?.port == 7000)
    }

    @Test func clusterAndSentinelURLs() throws {
        let cluster = try RedisConfiguration(url: "redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002")
        #expect(cluster.topology == .cluster)
        #expect(cluster.seeds == [
            RedisEndpoint(host: "10.0.0.1", port: 7000), RedisEndpoint(host: "10.0.0.2", port: 6379), RedisEndpoint(host: "::1", port: 7002),
        ])
        #expect(cluster.username == "app" && cluster.password == "p@ss")
        #expect(!cluster.useTLS)
        #expect(try RedisConfiguration(url: "rediss+cluster://h:1").useTLS)

        let sentinel = try RedisConfiguration(url: "redis+sentinel://:secret@s1:26379,s2:26380/mymaster/3")
        #expect(sentinel.topology == .sentinel(masterName: "mymaster"))
        #expect(sentinel.seeds.map(\.port) == [26379, 26380])
        #expect(sentinel.database == 3)
        #expect(sentinel.password == "secret" && sentinel.username == nil)
        #expect(try RedisConfiguration(url: "rediss+sentinel://s1/m").useTLS)
        #expect(try RedisConfiguration(url: "redis+sentinel://s1/m").database == 0)

        for bad in [
            "redis+cluster://h:1/2", "redis+sentinel://h:1", "redis+sentinel://h:1/m/x", "redis://a:1,b:2", "redis+cluster://",
            "redis+cluster://h:1,,h:2", "redis+cluster://h:99999", "redis+swarm://h:1",
        ] {
            #expect(throws: RedisError.self, "\(bad)") { try RedisConfiguration(url: bad) }
        }
        #expect(!RedisConfiguration.redacted("redis+sentinel://u:secret@h:1,h:2/m").contains("secret"))
    }
}
