import Foundation
import Logging
import NIOConcurrencyHelpers
import OffloadRedis

extension Inspector {
    /// Every schedule, by name, with when each fires next.
    public func schedules() async throws(OffloadError) -> [ScheduleInfo] {
        let now = broker.clock.nowMilliseconds()
        return try await broker.schedules().map { schedule in
            ScheduleInfo(schedule: schedule, nextRunAt: schedule.next(after: now).map { Date(timeIntervalSince1970: Double($0) / 1000) })
        }
    }

    /// One schedule, with when it fires next.
    public func schedule(_ name: String) async throws(OffloadError) -> ScheduleInfo {
        try Validation.checkScheduleName(name)
        guard let found = try await schedules().first(where: { $0.schedule.name == name }) else {
            throw OffloadError(.notFound, "no schedule '\(name)'")
        }
        return found
    }

    /// Creates or replaces the schedule of that name; it fires from its next occurrence on.
    /// Its type must be one a worker serves, unless `allowUnknownType`; either way an
    /// occurrence is skipped while no worker serves it.
    public func setSchedule(_ schedule: JobSchedule, allowUnknownType: Bool = false) async throws(OffloadError) {
        try schedule.validate()
        if !allowUnknownType { try await broker.jobTypes.requireKnown(schedule.type) }
        let json: Data
        do { json = try OffloadJSON.compact.encode(schedule) } catch { throw OffloadError(.internalError, "cannot encode the schedule: \(error)") }
        try await broker.write([RedisCommand("HSET", .string(broker.keys.schedules), .string(schedule.name), .string(String(decoding: json, as: UTF8.self)))])
    }

    /// Stops a schedule; jobs it already submitted stay.
    public func removeSchedule(_ name: String) async throws(OffloadError) {
        try Validation.checkScheduleName(name)
        guard try await broker.send("HDEL", .string(broker.keys.schedules), .string(name)).int == 1 else {
            throw OffloadError(.notFound, "no schedule '\(name)'")
        }
    }
}

extension Broker {
    /// The stored schedules, by name; one that cannot be read (written by a newer version,
    /// say) is left out rather than failing the rest.
    func schedules() async throws(OffloadError) -> [JobSchedule] {
        let reply = try await send("HGETALL", .string(keys.schedules))
        let decoder = OffloadJSON.decoder()
        return (reply.fieldMap ?? [:]).values.compactMap { value in
            value.string.flatMap { try? decoder.decode(JobSchedule.self, from: Data($0.utf8)) }
        }.sorted { $0.name < $1.name }
    }
}

/// Fires due schedules, from every worker process once a second. Each occurrence is
/// submitted by one process: the first to set its `scheduleFired` key (the job's
/// idempotency key guards the rest). An occurrence is fired within `lateness` of its start
/// or not at all: a process that starts mid-interval does not submit an interval already
/// under way, and occurrences that pass while no worker runs are skipped, as cron skips the
/// minutes a machine is off.
package final class ScheduleFirer: Sendable {
    private let broker: Broker
    private let logger: Logger
    /// When this process last looked: occurrences after it are due.
    private let lastLook: NIOLockedValueBox<Int64>
    package static let lateness: Int64 = 60_000

    package init(broker: Broker, logger: Logger) {
        self.broker = broker
        self.logger = logger
        lastLook = NIOLockedValueBox(broker.clock.nowMilliseconds() - 1_000)
    }

    /// Submits the occurrences due since the last look that no other process took;
    /// returns the jobs it created.
    @discardableResult
    package func fireDue() async throws(OffloadError) -> [SubmittedJob] {
        let now = broker.clock.nowMilliseconds()
        let since = max(lastLook.withLockedValue { $0 }, now - Self.lateness)
        let schedules = try await broker.schedules()
        var due: [(JobSchedule, Int64)] = []
        for schedule in schedules {
            for occurrence in schedule.occurrences(after: since, through: now) {
                // Kept past the lateness window, so a late process cannot take it again.
                let claim = try await broker.send(
                    "SET", .string(broker.keys.scheduleFired(schedule.name, occurrence: occurrence)), "1", "NX", "PX",
                    .int(Int(Self.lateness * 2)))
                if claim.string == "OK" { due.append((schedule, occurrence)) }
            }
        }
        lastLook.withLockedValue { $0 = now }
        guard !due.isEmpty else { return [] }
        let outcomes = try await broker.submit(batch: due.map { $0.0.submission(at: $0.1) })
        var created: [SubmittedJob] = []
        for ((schedule, _), outcome) in zip(due, outcomes) {
            switch outcome {
            case .success(let job):
                if job.created {
                    created.append(job)
                    logger.info("schedule fired", metadata: ["schedule": "\(schedule.name)", "job": "\(job.id)"])
                }
            case .failure(let error) where error.code == .unknownJobType:
                // A type no worker serves any more (retired after the schedule was set) would
                // pile up jobs nobody runs: skipped, with a word in the log.
                logger.warning(
                    "schedule skipped: no worker serves its job type", metadata: ["schedule": "\(schedule.name)", "type": "\(schedule.type)"])
            case .failure(let error):
                // A full queue, say: this occurrence is skipped, with a word in the log.
                logger.warning("schedule could not submit its job", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
            }
        }
        return created
    }
}
