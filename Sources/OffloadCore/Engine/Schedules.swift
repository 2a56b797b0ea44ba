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

    /// Creates or replaces the schedule of that name; it fires from its next occurrence on.
    public func setSchedule(_ schedule: JobSchedule) async throws(OffloadError) {
        try schedule.validate()
        let json: Data
        do { json = try OffloadJSON.compact.encode(schedule) } catch { throw OffloadError(.internalError, "cannot encode the schedule: \(error)") }
        try await broker.write([RedisCommand("HSET", .string(broker.keys.schedules), .string(schedule.name), .string(String(decoding: json, as: UTF8.self)))])
    }

    /// Stops a schedule; jobs it already submitted stay.
    public func removeSchedule(_ name: String) async throws(OffloadError) {
        guard Validation.isScheduleName(name) else { throw OffloadError(.invalid, "invalid schedule name") }
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

/// Fires due schedules, from every worker process once a second. Each occurrence is one
/// job whichever processes fire it (its idempotency key), and a process fires each
/// occurrence once. An occurrence that passes while no worker runs is skipped, as cron
/// skips the minutes a machine is off.
public final class ScheduleFirer: Sendable {
    private let broker: Broker
    private let logger: Logger
    private let lastFired = NIOLockedValueBox([String: Int64]())

    public init(broker: Broker, logger: Logger) {
        self.broker = broker
        self.logger = logger
    }

    /// Submits the occurrences due now that this process has not submitted yet; returns
    /// the jobs it created (nil where another process was first).
    @discardableResult
    public func fireDue() async throws(OffloadError) -> [SubmittedJob] {
        let now = broker.clock.nowMilliseconds()
        let due = try await broker.schedules().compactMap { schedule -> (JobSchedule, Int64)? in
            guard let occurrence = schedule.occurrence(at: now) else { return nil }
            return lastFired.withLockedValue { $0[schedule.name] } == occurrence ? nil : (schedule, occurrence)
        }
        guard !due.isEmpty else { return [] }
        let outcomes = try await broker.submit(batch: due.map { $0.0.submission(at: $0.1) })
        var created: [SubmittedJob] = []
        for ((schedule, occurrence), outcome) in zip(due, outcomes) {
            switch outcome {
            case .success(let job):
                lastFired.withLockedValue { $0[schedule.name] = occurrence }
                if job.created {
                    created.append(job)
                    logger.info("schedule fired", metadata: ["schedule": "\(schedule.name)", "job": "\(job.id)"])
                }
            case .failure(let error):
                // A full queue, or a schedule edited in the same instant: this occurrence is
                // skipped, with a word in the log.
                lastFired.withLockedValue { $0[schedule.name] = occurrence }
                logger.warning("schedule could not submit its job", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
            }
        }
        return created
    }
}
