import ArgumentParser
import Offload

extension OffloadCommand {
    /// `offload retry ID` or `offload retry --all-dead --queue Q`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a dead or cancelled job again (or every dead job of a queue).")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job id.") var id: String?
        @Flag(help: "Retry every dead job of --queue.") var allDead = false
        @Option(help: "Queue, with --all-dead.") var queue = "default"

        func validate() throws {
            if id != nil && allDead { throw ValidationError("give a job id or --all-dead, not both") }
            if id == nil && !allDead { throw ValidationError("give a job id or --all-dead") }
        }

        func run() async throws {
            if let id {
                try await options.withInspector { inspector throws(OffloadError) in try await inspector.retry(id) }
                options.report(["id": .string(id), "state": .string("pending")], human: "\(id) is pending again")
                return
            }
            let retried = try await options.withInspector { inspector throws(OffloadError) in try await inspector.retryAllDead(queue: queue) }
            options.report(["queue": .string(queue), "retried": .number(Double(retried))], human: "retried \(retried) dead jobs of \(queue)")
        }
    }

    /// `offload cancel ID`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job: at once when waiting, through its handler when running.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job id.") var id: String

        func run() async throws {
            let state = try await options.withInspector { inspector throws(OffloadError) in try await inspector.cancel(id) }
            let human = state == .active ? "\(id) is running; its handler was asked to stop" : "\(id) is cancelled"
            options.report(["id": .string(id), "state": .string(state.rawValue), "cancel_requested": .bool(state == .active)], human: human)
        }
    }

    /// `offload purge --queue Q --state dead`.
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every job of a queue in one state (dead, completed, cancelled, ...).")

        @OptionGroup var options: GlobalOptions
        @Option(help: "Queue name.") var queue: String
        @Option(help: "State to delete: dead, completed, cancelled, scheduled or pending.") var state: JobState

        func run() async throws {
            let deleted = try await options.withInspector { inspector throws(OffloadError) in try await inspector.purge(queue: queue, state: state) }
            options.report(["queue": .string(queue), "state": .string(state.rawValue), "deleted": .number(Double(deleted))], human: "deleted \(deleted) \(state.rawValue) jobs of \(queue)")
        }
    }

    /// `offload remove-queue Q [--force]`.
    struct RemoveQueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a queue that holds no job; with --force, delete its jobs first.",
            discussion: "Running jobs are never deleted: a queue with running jobs stays. A later submit to the name starts it afresh.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Queue name.") var queue: String
        @Flag(help: "Delete the queue's waiting and finished jobs with it.") var force = false

        func run() async throws {
            let deleted = try await options.withInspector { inspector throws(OffloadError) in
                try await inspector.removeQueue(queue, force: force)
            }
            options.report(
                ["queue": .string(queue), "deleted": .number(Double(deleted))],
                human: deleted > 0 ? "removed \(queue) and its \(deleted) jobs" : "removed \(queue)")
        }
    }

    /// `offload pause Q`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a queue: submits still work, nothing is claimed.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Queue name.") var queue: String

        func run() async throws {
            try await options.withInspector { inspector throws(OffloadError) in try await inspector.pause(queue: queue) }
            options.report(["queue": .string(queue), "paused": .bool(true)], human: "\(queue) is paused")
        }
    }

    /// `offload resume Q`.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused queue.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Queue name.") var queue: String

        func run() async throws {
            try await options.withInspector { inspector throws(OffloadError) in try await inspector.resume(queue: queue) }
            options.report(["queue": .string(queue), "paused": .bool(false)], human: "\(queue) is running")
        }
    }
}

extension GlobalOptions {
    /// The outcome of an action: JSON with --json, a sentence otherwise.
    func report(_ fields: [String: JSONValue], human: String) {
        print(json ? Output.json(JSONValue.object(fields)) : human)
    }
}
