import ArgumentParser
import Foundation

/// A program the benchmark starts (the `offload-worker` it drains with), its output in a
/// log file; waiting for its exit holds no thread.
final class BenchChildProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    private let exited: AsyncStream<Int32>
    private let exitSink: AsyncStream<Int32>.Continuation

    init(_ executable: String, _ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        (exited, exitSink) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        let sink = exitSink
        process.terminationHandler = { process in
            sink.yield(process.terminationStatus)
            sink.finish()
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then its exit status once it has left.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for await status in exited { return status }
        return process.terminationStatus
    }

    /// The last lines it wrote, for an error message.
    var logTail: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
