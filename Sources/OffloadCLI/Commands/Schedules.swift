import ArgumentParser
import Foundation
import Offload

extension OffloadCommand {
    /// `offload schedules`: every schedule, with when it fires next.
    struct Schedules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the schedules and when each fires next.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let schedules = try await options.withInspector { inspector throws(OffloadError) in try await inspector.schedules() }
            if options.json {
                print(Output.json(["schedules": schedules]))
                return
            }
            guard !schedules.isEmpty else {
                print("no schedules")
                return
            }
            let rows = schedules.map { info -> [String] in
                let schedule = info.schedule
                let timing = schedule.cron.map { "cron \($0)" } ?? "every \(schedule.everySeconds ?? 0) s"
                let next = info.nextRunAt.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "never"
                return [schedule.name, timing, schedule.type, schedule.queue, next]
            }
            print(Output.table(["NAME", "WHEN", "TYPE", "QUEUE", "NEXT (UTC)"], rows))
        }
    }

    /// `offload schedule NAME TYPE (--cron EXPR | --every SECONDS)`: create or replace one.
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace a schedule: a job submitted every N seconds or on a cron expression (UTC).",
            discussion: """
                Worker processes fire schedules; each occurrence is one job however many workers \
                run. Occurrences that pass while no worker runs are skipped. Example: \
                offload schedule nightly-report count-primes --cron '0 3 * * *' --payload '{"below": 1000000}'
                """
        )

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Schedule name.") var name: String
        @Argument(help: "Job type, e.g. count-primes.") var type: String
        @Option(help: "Cron expression, 5 fields in UTC, e.g. '*/5 * * * *'.") var cron: String?
        @Option(help: "Seconds between runs.") var every: Int?
        @Option(help: "Payload as a JSON object.") var payload = "{}"
        @Option(help: "Queue name.") var queue = "default"
        @Option(parsing: .unconditional, help: "Priority, -1000 to 1000 (higher runs first).") var priority = 0
        @Option(help: "Runs in all, 1 = no retry.") var maxAttempts: Int?
        @Option(help: "Hard timeout of one run, in seconds.") var timeout: Int?
        @Flag(help: "Accept the type even when no worker serves it yet (occurrences are skipped until one does).") var allowUnknownType = false

        func validate() throws {
            if (cron == nil) == (every == nil) { throw ValidationError("give --cron or --every, exactly one") }
        }

        func run() async throws {
            let schedule = JobSchedule(
                name: name, cron: cron, everySeconds: every, type: type, payload: try PayloadOption.canonicalPayload(payload), queue: queue,
                priority: priority, maxAttempts: maxAttempts, timeoutSeconds: timeout)
            let next = try await options.withInspector { inspector throws(OffloadError) -> ScheduleInfo? in
                do throws(OffloadError) {
                    try schedule.validate()
                } catch {
                    throw error.namingField([
                        "queue": "--queue", "every_seconds": "--every", "cron": "--cron",
                        "max_attempts": "--max-attempts", "timeout_seconds": "--timeout", "priority": "--priority",
                    ])
                }
                try await inspector.setSchedule(schedule, allowUnknownType: allowUnknownType)
                return try await inspector.schedules().first { $0.schedule.name == name }
            }
            let when = next?.nextRunAt.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "never"
            if options.json {
                print(Output.json(next))
            } else {
                print("\(name) scheduled; next run \(when)")
            }
        }
    }

    /// `offload unschedule NAME`.
    struct Unschedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule; jobs it already submitted stay.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Schedule name.") var name: String

        func run() async throws {
            try await options.withInspector { inspector throws(OffloadError) in try await inspector.removeSchedule(name) }
            options.report(["name": .string(name), "removed": .bool(true)], human: "\(name) removed")
        }
    }
}
