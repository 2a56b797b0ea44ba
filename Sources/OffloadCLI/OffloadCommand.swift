import ArgumentParser

/// `offload`: inspect and operate queues, jobs and workers. Talks to Redis directly, so
/// it works while the API is down.
package struct OffloadCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "offload",
        abstract: "Inspect and operate Offload queues, jobs and workers.",
        discussion: """
            Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 Redis unreachable.
            Colours are off when NO_COLOR is set or the output is not a terminal.
            """,
        subcommands: [
            Stats.self, Queues.self, Jobs.self, Job.self, Submit.self, Retry.self, Cancel.self, Purge.self,
            Pause.self, Resume.self, Settings.self, RemoveQueue.self, Schedules.self, Schedule.self, Unschedule.self,
            Workers.self, Watch.self,
        ]
    )

    package init() {}
}
