import ArgumentParser
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Offload

extension OffloadCommand {
    /// `offload watch`: a live full-screen view of queues, rates and workers.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Live view of queues, rates per second and workers. Quit with q or Ctrl-C.",
            discussion: "With --json, one JSON object per refresh and line: queues, workers and rates.")

        @OptionGroup var options: GlobalOptions
        @Option(help: "Seconds between refreshes.") var interval = 1.0
        @Option(help: "Stop after this many refreshes (0 = until quit).") var count = 0

        func validate() throws {
            guard (0.1...3600).contains(interval) else { throw ValidationError("--interval must be in 0.1...3600 seconds") }
            guard count >= 0 else { throw ValidationError("--count must not be negative") }
        }

        func run() async throws {
            let keyboard = Keyboard()
            keyboard.start()
            defer { keyboard.stop() }
            var previous: [String: (done: Int, at: ContinuousClock.Instant)] = [:]
            var refreshes = 0
            while !keyboard.quitRequested {
                let snapshot = try await options.withInspector { inspector throws(OffloadError) in
                    (try await inspector.queues(), try await inspector.workers())
                }
                let now = ContinuousClock.now
                var rates: [String: Double] = [:]
                for queue in snapshot.0 {
                    let done = queue.counts.completed + queue.counts.dead + queue.counts.cancelled
                    if let before = previous[queue.name] {
                        let seconds = Double((now - before.at).components.attoseconds) / 1e18 + Double((now - before.at).components.seconds)
                        rates[queue.name] = seconds > 0 ? max(0, Double(done - before.done)) / seconds : 0
                    }
                    previous[queue.name] = (done, now)
                }
                if options.json {
                    print(Output.json(Frame(queues: snapshot.0, workers: snapshot.1, ratesPerSecond: rates), pretty: false))
                } else {
                    FileHandle.standardOutput.write(Data(Self.screen(queues: snapshot.0, workers: snapshot.1, rates: rates, interactive: keyboard.isInteractive).utf8))
                }
                refreshes += 1
                if count > 0 && refreshes >= count { break }
                // Until the next refresh, or the user quits.
                _ = await Delay.withTimeout(.milliseconds(Int(interval * 1000))) { await keyboard.waitForQuit() }
            }
        }

        /// One refresh for scripts (`--json`): a line of JSON.
        struct Frame: Encodable {
            let queues: [QueueInfo]
            let workers: [WorkerInfo]
            /// Jobs finished per second since the previous refresh, per queue (absent on the first).
            let ratesPerSecond: [String: Double]

            enum CodingKeys: String, CodingKey {
                case queues, workers
                case ratesPerSecond = "rates_per_second"
            }
        }

        static func screen(queues: [QueueInfo], workers: [WorkerInfo], rates: [String: Double], interactive: Bool) -> String {
            var lines: [String] = []
            lines.append("Offload — \(Date().formatted(date: .omitted, time: .standard))   (q to quit)")
            lines.append("")
            let queueRows = queues.map { queue in
                [
                    queue.name, queue.paused ? "paused" : "running", String(queue.counts.pending), String(queue.counts.scheduled),
                    String(queue.counts.active), String(queue.counts.completed), String(queue.counts.dead),
                    String(format: "%.1f", rates[queue.name] ?? 0), Output.seconds(queue.oldestPendingAgeSeconds),
                ]
            }
            lines.append(Output.table(["QUEUE", "STATUS", "PENDING", "SCHEDULED", "ACTIVE", "COMPLETED", "DEAD", "DONE/S", "OLDEST"], queueRows))
            lines.append("")
            let workerRows = workers.map { worker in
                [Output.printable(worker.id), String(worker.pid), String(worker.processed), String(worker.failed), worker.currentJobs.joined(separator: " ")]
            }
            lines.append(Output.table(["WORKER", "PID", "DONE", "FAILED", "RUNNING"], workerRows))
            let body = lines.joined(separator: "\n") + "\n"
            // Home and clear on a terminal; plain frames separated by a blank line otherwise.
            return interactive ? "\u{1B}[H\u{1B}[2J" + body : body + "\n"
        }
    }
}

/// Reads single key presses on a thread of its own (a blocking read there holds no
/// Swift-concurrency thread) with the terminal in non-canonical mode, restored on exit.
final class Keyboard: @unchecked Sendable {  // `interrupt` is set once, before any other thread sees it
    private let quit = NIOLockedValueBox(false)
    private let quitWaiters = Waiters()
    private let savedTerminal = NIOLockedValueBox<termios?>(nil)
    let isInteractive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1

    var quitRequested: Bool { quit.withLockedValue { $0 } }

    private func requestQuit() {
        quit.withLockedValue { $0 = true }
        quitWaiters.resumeAll()
    }

    /// Returns once quit is asked for, or at once when the task is cancelled.
    func waitForQuit() async {
        await quitWaiters.wait { quitRequested }
    }

    func start() {
        guard isInteractive else { return }
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        savedTerminal.withLockedValue { $0 = original }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        // Ctrl-C: restore the terminal, then quit.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { [self] in requestQuit() }
        interrupt.resume()
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) == 1 {
                if byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") || byte == 3 {
                    requestQuit()
                    return
                }
            }
        }
        thread.start()
        self.interrupt = interrupt
    }

    func stop() {
        if var original = savedTerminal.withLockedValue({ $0 }) {
            tcsetattr(STDIN_FILENO, TCSANOW, &original)
        }
    }

    private var interrupt: (any DispatchSourceSignal)?
}
