import Foundation
import Logging
import Offload
import OffloadRedis

/// Claims jobs as slots free up, from the queues in their order or by weight, and hands
/// them to the executor; claims short jobs ahead of free slots (`ClaimedAhead`). When there
/// is no work it blocks on Redis (never polls) until a submit or the next scheduled job.
/// A stop request wakes it wherever it waits; it then hands back what it claimed ahead.
final class ClaimLoop: Sendable {
    private let broker: Broker
    private let configuration: WorkerConfiguration
    private let executor: JobExecutor
    private let claimedAhead: ClaimedAhead
    private let duties: DutyTimer
    private let stop: StopRequest
    private let clock: AnyClock
    private let logger: Logger
    /// For the blocking wait for work, which needs connections of its own.
    private let wakeConnection: RedisListWaiter

    init(
        broker: Broker, configuration: WorkerConfiguration, executor: JobExecutor, claimedAhead: ClaimedAhead, duties: DutyTimer,
        stop: StopRequest, clock: AnyClock, logger: Logger
    ) {
        self.broker = broker
        self.configuration = configuration
        self.executor = executor
        self.claimedAhead = claimedAhead
        self.duties = duties
        self.stop = stop
        self.clock = clock
        self.logger = logger
        let wakeConnection = broker.redis.makeListWaiter()
        self.wakeConnection = wakeConnection
        // With every slot busy, the grace period must not wait for a slot to free: the stop
        // request makes the loop look (`release(0)`) and ends a blocking wait for work.
        stop.onStop { [cpuSlots = executor.cpuSlots] in
            cpuSlots.release(0)
            Task { await wakeConnection.shutdown() }
        }
    }

    private var queueNames: [String] { configuration.queues.map(\.name) }

    /// Until a stop is requested.
    func run() async {
        let cpuSlots = executor.cpuSlots
        var backoff = Duration.milliseconds(100)
        while !stop.isRequested {
            await cpuSlots.waitForFree(unless: { self.stop.isRequested })
            if stop.isRequested { break }
            if await executor.startClaimedAhead() { continue }
            var free = cpuSlots.take(upTo: cpuSlots.capacity)
            var wanted = free + max(0, claimedAhead.wanted)
            do {
                var claimedAny = false
                var nextDue: Int64?
                for queue in claimOrder() where wanted > 0 {
                    let result = try await broker.claim(queue: queue, limit: wanted, token: Self.makeToken(), workerID: configuration.workerID)
                    for job in result.jobs {
                        claimedAny = true
                        wanted -= 1
                        if free > 0 {
                            free -= 1
                            await executor.start(job)
                        } else {
                            claimedAhead.hold(job)
                            duties.schedule(clock.now + configuration.claimedAheadMaxWait)
                        }
                    }
                    if let due = result.nextDueMilliseconds { nextDue = min(nextDue ?? due, due) }
                }
                cpuSlots.release(free)
                free = 0
                backoff = .milliseconds(100)
                if !claimedAny { try await waitForWork(nextDue: nextDue) }
            } catch {
                cpuSlots.release(free)
                if stop.isRequested { break }
                logger.warning("claim failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                await stop.wait(upTo: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        await claimedAhead.handBack(claimedAhead.takeAll(), to: broker)
    }

    /// Closes the connection the loop waits for work on.
    func shutdown() async {
        await wakeConnection.shutdown()
    }

    /// Strict: the configured order. Weighted: a weighted random permutation, so every
    /// queue is looked at first in proportion to its weight.
    private func claimOrder() -> [String] {
        if configuration.strictOrder || configuration.queues.count == 1 { return queueNames }
        var remaining = configuration.queues
        var order: [String] = []
        while !remaining.isEmpty {
            var pick = Int.random(in: 0..<remaining.reduce(0) { $0 + $1.weight })
            let index = remaining.firstIndex { queue in
                pick -= queue.weight
                return pick < 0
            } ?? 0
            order.append(remaining.remove(at: index).name)
        }
        return order
    }

    /// Blocks on the queues' wake-up lists until a submit, or until the next scheduled
    /// job is due. Redis times out blocking commands only at its `hz` tick (100 ms by
    /// default), so the last stretch before a due job is a precise local sleep instead.
    private func waitForWork(nextDue: Int64?) async throws {
        var wait = configuration.idleWait
        if let nextDue {
            let delta = nextDue - broker.clock.nowMilliseconds()
            if delta <= 200 {
                if delta > 0 { try await clock.sleep(for: .milliseconds(delta)) }
                return
            }
            wait = min(wait, .milliseconds(delta - 150))
        }
        _ = try await broker.waitForWork(on: wakeConnection, queues: queueNames, timeout: wait)
    }

    private static func makeToken() -> String { UUID().uuidString.lowercased() }
}
