import ArgumentParser
import Offload

extension OffloadCommand {
    /// `offload queues`: every queue with its counts, age of the oldest waiting job and rates.
    struct Queues: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List queues: counts, paused, oldest pending age, jobs per minute.")

        @OptionGroup var options: GlobalOptions

        struct Report: Encodable { let queues: [QueueInfo] }

        func run() async throws {
            let queues = try await options.withInspector { inspector throws(OffloadError) in try await inspector.queues() }
            // On a cluster, the node each queue lives on.
            let onCluster = queues.contains { $0.node != nil }
            options.show(
                Report(queues: queues),
                table: ["QUEUE", "STATUS", "PENDING", "SCHEDULED", "ACTIVE", "COMPLETED", "DEAD", "OLDEST", "DONE/MIN", "FAILED/MIN"]
                    + (onCluster ? ["NODE"] : []),
                queues.map { queue in
                    [
                        queue.name, queue.paused ? "paused" : "running", String(queue.counts.pending), String(queue.counts.scheduled),
                        String(queue.counts.active), String(queue.counts.completed), String(queue.counts.dead),
                        Output.seconds(queue.oldestPendingAgeSeconds), String(queue.processedPerMinute), String(queue.failedPerMinute),
                    ] + (onCluster ? [queue.node ?? ""] : [])
                })
        }
    }

    /// `offload jobs`: one page of a queue's jobs in one state.
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs of a queue in one state, a page at a time.")

        @OptionGroup var options: GlobalOptions

        @Option(help: "Queue name.") var queue = "default"
        @Option(help: "State: scheduled, pending, active, completed, dead, cancelled.") var state: JobState = .pending
        @Option(help: "Jobs per page (1-1000).") var limit = 20
        @Option(help: "Cursor from the previous page's output.") var cursor: String?

        func run() async throws {
            let page = try await options.withInspector { inspector throws(OffloadError) in
                try await inspector.jobs(queue: queue, state: state, cursor: cursor, limit: limit)
            }
            if options.json {
                print(Output.json(page))
                return
            }
            let rows = page.jobs.map { job in
                [
                    job.id, job.type, Output.color(job.state, job.state.rawValue), "\(job.attempts)/\(job.maxAttempts)",
                    job.progress.map { "\($0)%" } ?? "", Output.timestamp(job.finishedAt ?? job.startedAt ?? job.runAt ?? job.createdAt),
                    job.error.map { Output.printable("\($0.type): \($0.message)") } ?? "",
                ]
            }
            print(Output.table(["ID", "TYPE", "STATE", "ATTEMPTS", "PROGRESS", "WHEN", "ERROR"], rows))
            if let next = page.nextCursor { print("more: --cursor \(next)") }
        }
    }

    /// `offload workers`: live worker processes and what they run.
    struct Workers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live worker processes and their current jobs.")

        @OptionGroup var options: GlobalOptions

        struct Report: Encodable { let workers: [WorkerInfo] }

        func run() async throws {
            let workers = try await options.withInspector { inspector throws(OffloadError) in try await inspector.workers() }
            options.show(
                Report(workers: workers), table: ["WORKER", "HOST", "PID", "QUEUES", "THREADS", "DONE", "FAILED", "RUNNING"],
                workers.map { worker in
                    [
                        Output.printable(worker.id), Output.printable(worker.host), String(worker.pid), worker.queues.joined(separator: ","),
                        String(worker.concurrency), String(worker.processed), String(worker.failed), worker.currentJobs.joined(separator: " "),
                    ]
                })
        }
    }
}

extension JobState: ExpressibleByArgument {}
