import ArgumentParser
import Foundation
import Offload

extension OffloadCommand {
    /// `offload submit TYPE --payload JSON [--wait]`.
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a job; with --wait, show its progress and print its result.",
            discussion: "Exit code with --wait: 0 when the job completed, 1 when it ended dead or cancelled."
        )

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Job type, e.g. count-primes.") var type: String
        @Option(help: "Payload as a JSON object.") var payload = "{}"
        @Option(help: "Queue name.") var queue = "default"
        @Option(parsing: .unconditional, help: "Priority, -1000 to 1000 (higher runs first).") var priority = 0
        @Option(help: "Run no earlier than this many seconds from now.") var delay: Double?
        @Option(help: "Runs in all, 1 = no retry.") var maxAttempts: Int?
        @Option(help: "Hard timeout of one run, in seconds.") var timeout: Int?
        @Option(help: "Submits with the same key to the same queue return the first job (kept 24 h).") var idempotencyKey: String?
        @Option(help: "While another job of the queue holds this key, answer with that job instead of enqueuing.") var uniqueKey: String?
        @Option(help: "When the unique key is freed: until_started or until_finished.") var uniqueScope = UniqueJob.Scope.untilFinished.rawValue
        @Option(help: "Seconds after which the unique key goes even if its job never ends.") var uniqueTTL = UniqueJob.defaultTTLSeconds
        @Flag(help: "Wait for the job to finish, with a progress bar.") var wait = false
        @Flag(help: "Enqueue even when no worker serves the type yet (workers deployed later).") var allowUnknownType = false

        func run() async throws {
            let scope = UniqueJob.Scope(rawValue: uniqueScope)
            let submission = JobSubmission(
                type: type, payload: try PayloadOption.canonicalPayload(payload), queue: queue, priority: priority, delaySeconds: delay,
                maxAttempts: maxAttempts, timeoutSeconds: timeout, idempotencyKey: idempotencyKey,
                unique: uniqueKey.map { UniqueJob(key: $0, scope: scope ?? .untilFinished, ttl: .seconds(uniqueTTL)) },
                allowUnknownType: allowUnknownType)
            let showBar = !options.json
            let finished = try await options.withInspector { inspector throws(OffloadError) -> JobRecord? in
                do throws(OffloadError) {
                    guard scope != nil else { throw OffloadError(invalid: "--unique-scope", "must be until_started or until_finished") }
                    try submission.validate()
                } catch {
                    // The engine names its fields as the API does (`delay_seconds`); a CLI user typed flags.
                    throw error.namingField([
                        "queue": "--queue", "delay_seconds": "--delay", "max_attempts": "--max-attempts",
                        "timeout_seconds": "--timeout", "priority": "--priority", "idempotency_key": "--idempotency-key",
                        "unique.key": "--unique-key", "unique.ttl_seconds": "--unique-ttl",
                    ])
                }
                let submitted = try await inspector.broker.submit(submission)
                guard wait else {
                    var report: [String: JSONValue] = ["id": .string(submitted.id), "state": .string(submitted.state.rawValue)]
                    if submitted.duplicate { report["duplicate"] = .bool(true) }
                    // The id alone on stdout either way, so `id=$(offload submit …)` keeps working.
                    if submitted.duplicate && !options.json {
                        FileHandle.standardError.write(Data("duplicate: \(submitted.id) holds the unique key; nothing enqueued\n".utf8))
                    }
                    options.report(report, human: submitted.id)
                    return nil
                }
                FileHandle.standardError.write(Data("submitted \(submitted.id)\n".utf8))
                let job = try await inspector.job(submitted.id)
                let bar = ProgressBar(enabled: showBar)
                do {
                    for try await event in JobEventWatcher(inspector: inspector).events(for: job) {
                        if case .progress(let percent, let message) = event { bar.update(percent, message) }
                    }
                } catch let error as OffloadError {
                    throw error
                } catch {
                    throw OffloadError(.unavailable, "lost the job's event stream: \(error)")
                }
                let final = try await inspector.job(submitted.id)
                bar.finish(final.state == .completed)
                return final
            }
            guard let finished else { return }
            if options.json {
                print(Output.json(finished))
            } else if let result = finished.result {
                print(result.jsonText)
            } else if let error = finished.error {
                print("\(finished.state.rawValue): \(Output.printable("\(error.type): \(error.message)"))")
            } else {
                print(finished.state.rawValue)
            }
            if finished.state != .completed { throw ExitCode.failure }
        }
    }
}

/// A one-line progress bar on stderr: `[#########.........]  45% sieving`.
final class ProgressBar: Sendable {
    let enabled: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ percent: Int, _ message: String) {
        guard enabled else { return }
        let clamped = min(100, max(0, percent))
        let width = 30
        let filled = clamped * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "[\(bar)] \(String(clamped).leftPadded(to: 3))% \(Output.printable(String(message.prefix(40))))"
        // On a terminal the bar redraws in place; in a log it is one line per update.
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish(_ success: Bool) {
        guard enabled else { return }
        if success { update(100, "done") }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
