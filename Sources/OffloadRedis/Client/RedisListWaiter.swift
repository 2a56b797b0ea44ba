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
    /// Per slot, the pop under way (or one that popped after its wait ended).
    private let inFlight = NIOLockedValueBox([HashSlot?: Task<Result<String?, RedisError>, Never>]())
    private let closed = NIOLockedValueBox(false)

    init(client: RedisClient) { self.client = client }

    /// The list that was popped, or nil when `timeout` passed first.
    package func popFirst(of keys: [String], timeout: Duration) async throws(RedisError) -> String? {
        let groups: [HashSlot?: [String]] =
            client.configuration.topology == .cluster ? Dictionary(grouping: keys, by: { HashSlot(key: $0) }) : [nil: keys]
        // BLPOP takes seconds with decimals; 0 would mean "forever".
        var seconds = max(0.01, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        // With several pops, the ones that lose the race still block until their timeout and
        // hold their connection: keep that short (the caller waits again if nothing came).
        if groups.count > 1 { seconds = min(seconds, 1) }
        let waits = try groups.map { slot, keys throws(RedisError) in
            (try connection(for: slot), RedisCommand(["BLPOP"] + keys.map { .string($0) } + [.string(String(format: "%.3f", seconds))]))
        }
        if waits.count == 1 { return try await waits[0].0.send(waits[0].1, timeout: timeout + .seconds(5)).array?.first?.string }
        // One pop per slot, at once; the first to pop ends the wait. A pop still blocked
        // when the wait ends stays in flight and is awaited by the next wait on its slot,
        // so an entry it takes later is handed to that wait, never dropped.
        let first = FirstPop(count: waits.count)
        let deadline = ContinuousClock.now + timeout
        for ((slot, _), (connection, command)) in zip(groups, waits) {
            Task {
                while true {
                    let pop = self.pop(slot, connection: connection, command: command, timeout: timeout)
                    var result = await pop.value
                    // Waits that overlap share a pop; its result goes to the one that takes
                    // it off the slot, and the next pop there is a new one.
                    let owned = self.inFlight.withLockedValue { inFlight -> Bool in
                        guard inFlight[slot] == pop else { return false }
                        inFlight[slot] = nil
                        return true
                    }
                    if !owned { result = .success(nil) }
                    // A pop that ended empty (a short round, or one left over from the last
                    // wait) is sent again while this wait has time and no other slot popped.
                    if case .success(nil) = result, ContinuousClock.now < deadline, !first.isDone { continue }
                    if !first.offer(result), case .success(let key?) = result {
                        // This wait ended before the pop: keep what it took for the next one.
                        self.inFlight.withLockedValue { $0[slot] = $0[slot] ?? Task { .success(key) } }
                    }
                    return
                }
            }
        }
        return try await first.value()
    }

    /// The pop under way on `slot`, or a new one.
    private func pop(
        _ slot: HashSlot?, connection: RedisDedicatedConnection, command: RedisCommand, timeout: Duration
    ) -> Task<Result<String?, RedisError>, Never> {
        inFlight.withLockedValue { inFlight in
            if let pending = inFlight[slot] { return pending }
            let task = Task { () -> Result<String?, RedisError> in
                do throws(RedisError) {
                    return .success(try await connection.send(command, timeout: timeout + .seconds(5)).array?.first?.string)
                } catch {
                    return .failure(error)
                }
            }
            inFlight[slot] = task
            return task
        }
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

    /// The first pop of several, or nil/the first error once all have ended without one.
    private final class FirstPop: Sendable {
        private struct State {
            var remaining: Int
            var failure: RedisError?
            var continuation: CheckedContinuation<Result<String?, RedisError>, Never>?
            var outcome: Result<String?, RedisError>?
        }
        private let state: NIOLockedValueBox<State>

        init(count: Int) { state = NIOLockedValueBox(State(remaining: count)) }

        var isDone: Bool { state.withLockedValue { $0.outcome != nil } }

        /// False when the wait had already ended: `result` was not taken.
        @discardableResult
        func offer(_ result: Result<String?, RedisError>) -> Bool {
            var taken = true
            let resume = state.withLockedValue { state -> (CheckedContinuation<Result<String?, RedisError>, Never>, Result<String?, RedisError>)? in
                state.remaining -= 1
                guard state.outcome == nil else {
                    taken = false
                    return nil
                }
                switch result {
                case .success(let key?): state.outcome = .success(key)
                case .failure(let error): if state.failure == nil { state.failure = error }
                case .success(nil): break
                }
                if state.outcome == nil, state.remaining == 0 { state.outcome = state.failure.map { .failure($0) } ?? .success(nil) }
                guard let outcome = state.outcome, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, outcome)
            }
            if let (continuation, outcome) = resume { continuation.resume(returning: outcome) }
            return taken
        }

        func value() async throws(RedisError) -> String? {
            let outcome = await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> Result<String?, RedisError>? in
                    if let outcome = state.outcome { return outcome }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
            return try outcome.get()
        }
    }

    /// Ends a wait under way (with ``RedisError/connectionClosed``) and every later one.
    package func shutdown() async {
        closed.withLockedValue { $0 = true }
        for connection in connections.withLockedValue({ Array($0.values) }) { await connection.shutdown() }
    }
}
