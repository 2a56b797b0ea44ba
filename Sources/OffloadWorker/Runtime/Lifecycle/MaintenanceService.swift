import Foundation
import Logging
import Offload
import ServiceLifecycle

/// The worker's share of keeping the queues healthy, every `reapInterval`: fires due
/// schedules, returns jobs whose lease expired (a crashed worker's) to pending, and
/// refreshes this worker's registry entry every `registryInterval`.
///
/// Runs until its task is cancelled. Once a stop is requested it fires no more schedules
/// (a stopping worker starts nothing new) but keeps reaping and registering, so a draining
/// worker stays listed with its jobs; `WorkerRuntime` cancels it when the drain is over.
final class MaintenanceService: Service, Sendable {
    private let broker: Broker
    private let configuration: WorkerConfiguration
    private let jobTypes: [String]
    private let running: RunningJobs
    private let outcomes: OutcomeStore
    private let stop: StopRequest
    private let clock: AnyClock
    private let logger: Logger
    private let startedAt: Date

    init(
        broker: Broker, configuration: WorkerConfiguration, jobTypes: [String], running: RunningJobs, outcomes: OutcomeStore,
        stop: StopRequest, clock: AnyClock, logger: Logger
    ) {
        self.broker = broker
        self.configuration = configuration
        self.jobTypes = jobTypes
        self.running = running
        self.outcomes = outcomes
        self.stop = stop
        self.clock = clock
        self.logger = logger
        self.startedAt = Self.date(broker.clock.nowMilliseconds())
    }

    private var queueNames: [String] { configuration.queues.map(\.name) }

    func run() async throws {
        let schedules = ScheduleFirer(broker: broker, logger: logger)
        var lastRegistration: AnyClock.Instant?
        while !Task.isCancelled {
            if !stop.isRequested {
                do { try await schedules.fireDue() } catch { logger.debug("cannot fire schedules now", metadata: ["error": "\(error)"]) }
            }
            await reapExpiredLeases()
            if lastRegistration.map({ clock.now - $0 >= configuration.registryInterval }) ?? true {
                await register()
                lastRegistration = clock.now
            }
            do { try await clock.sleep(for: configuration.reapInterval) } catch { return }
        }
    }

    private func reapExpiredLeases() async {
        for queue in queueNames {
            do {
                let (requeued, dead) = try await broker.reapExpiredLeases(queue: queue)
                if requeued + dead > 0 {
                    logger.warning("recovered jobs with expired leases", metadata: ["queue": "\(queue)", "requeued": "\(requeued)", "dead": "\(dead)"])
                }
            } catch {}
        }
    }

    /// The registry entry, and the job types again: a Redis that lost its data (restarted
    /// without persistence, flushed) learns them back within one interval, so the API does
    /// not refuse their submits until the workers restart.
    private func register() async {
        try? await broker.publishJobTypes(jobTypes)
        let (processed, failed) = outcomes.totals
        let info = WorkerInfo(
            id: configuration.workerID, pid: getpid(), host: ProcessInfo.processInfo.hostName, queues: queueNames,
            concurrency: configuration.concurrency, currentJobs: running.ids, startedAt: startedAt,
            heartbeatAt: Self.date(broker.clock.nowMilliseconds()), processed: processed, failed: failed)
        let seconds = configuration.registryInterval.components.seconds
        try? await broker.registerWorker(info, ttlSeconds: Int(max(5, seconds * 3)))
    }

    /// The engine's wall clock, so the registry's times agree with the ones it stores.
    private static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
