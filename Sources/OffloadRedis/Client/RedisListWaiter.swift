import Foundation
import NIOConcurrencyHelpers

/// Blocks until one of several lists has an entry and pops it (`BLPOP`). On one server
/// that is one `BLPOP` over every list. On a cluster a command's keys must share a slot,
/// so it is one `BLPOP` per slot, each on a dedicated connection, all at once: the first
/// to pop ends the wait, and the others' connections are closed so no pop is left
/// blocking (the next wait opens them again).
package final class RedisListWaiter: Sendable {
    private let client: RedisClient
    private let connections = NIOLockedValueBox([HashSlot?: RedisDedicatedConnection]())
    private let closed = NIOLockedValueBox(false)

    init(client: RedisClient) { self.client = client }

    /// The list that was popped, or nil when `timeout` passed first.
    package func popFirst(of keys: [String], timeout: Duration) async throws(RedisError) -> String? {
        let groups: [HashSlot?: [String]] =
            client.configuration.topology == .cluster ? Dictionary(grouping: keys, by: { HashSlot(key: $0) }) : [nil: keys]
        // BLPOP takes seconds with decimals; 0 would mean "forever".
        let seconds = max(0.01, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        let waits = try groups.map { slot, keys throws(RedisError) in
            (try connection(for: slot), RedisCommand(["BLPOP"] + keys.map { .string($0) } + [.string(String(format: "%.3f", seconds))]))
        }
        if waits.count == 1 { return try await waits[0].0.send(waits[0].1, timeout: timeout + .seconds(5)).array?.first?.string }
        let outcome: Result<String?, RedisError> = await withTaskGroup(of: Result<String?, RedisError>.self) { group in
            for (connection, command) in waits {
                group.addTask {
                    do throws(RedisError) {
                        return .success(try await connection.send(command, timeout: timeout + .seconds(5)).array?.first?.string)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var popped: String?
            var failure: RedisError?
            for await result in group {
                switch result {
                case .success(let key?) where popped == nil:
                    popped = key
                    for (connection, _) in waits { await connection.interrupt() }
                case .failure(let error) where popped == nil && failure == nil:
                    failure = error
                default: break
                }
            }
            if let popped { return .success(popped) }
            if let failure { return .failure(failure) }
            return .success(nil)
        }
        return try outcome.get()
    }

    private func connection(for slot: HashSlot?) throws(RedisError) -> RedisDedicatedConnection {
        if closed.withLockedValue({ $0 }) { throw .unavailable("waiter is shut down") }
        return connections.withLockedValue { connections in
            if let connection = connections[slot] { return connection }
            let connection = client.makeDedicatedConnection()
            connections[slot] = connection
            return connection
        }
    }

    /// Ends a wait under way (with ``RedisError/connectionClosed``) and every later one.
    package func shutdown() async {
        closed.withLockedValue { $0 = true }
        for connection in connections.withLockedValue({ Array($0.values) }) { await connection.shutdown() }
    }
}
