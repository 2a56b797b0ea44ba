import ArgumentParser
import Foundation
import Offload

extension OffloadCommand {
    /// `offload job ID`: everything stored about one job.
    struct Job: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: payload, state, result or error, attempts, progress.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The job id, e.g. default.01JD3Q6Z8R4T5V6W7X8Y9Z0A1B")
        var id: String

        func run() async throws {
            let job = try await options.withInspector { inspector throws(OffloadError) in try await inspector.job(id) }
            if options.json {
                print(Output.json(job))
                return
            }
            var lines: [(String, String)] = [
                ("id", job.id), ("type", job.type), ("queue", job.queue), ("state", Output.color(job.state, job.state.rawValue)),
                ("attempts", "\(job.attempts) of \(job.maxAttempts)"), ("priority", String(job.priority)),
                ("created", Self.format(job.createdAt)),
            ]
            if let runAt = job.runAt { lines.append(("run at", Self.format(runAt))) }
            if let started = job.startedAt { lines.append(("started", Self.format(started))) }
            if let finished = job.finishedAt { lines.append(("finished", Self.format(finished))) }
            if let progress = job.progress { lines.append(("progress", "\(progress)% \(Output.printable(job.progressMessage ?? ""))")) }
            if let worker = job.worker { lines.append(("worker", Output.printable(worker))) }
            lines.append(("payload", Output.printable(job.payload?.jsonText ?? "null")))
            if let result = job.result { lines.append(("result", Output.printable(result.jsonText))) }
            if let error = job.error { lines.append(("error", Output.printable("\(error.type): \(error.message)"))) }
            let width = lines.map(\.0.count).max() ?? 0
            for (key, value) in lines { print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        }

        static func format(_ date: Date) -> String {
            date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
    }
}
