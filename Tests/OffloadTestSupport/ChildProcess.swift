import Foundation
import OffloadWorker

#if canImport(Glibc)
import Glibc
#endif

/// A real process spawned by a test, killed with the test process if that dies first
/// (`setpriv --pdeathsig KILL`), its output appended to a log file for post-mortems.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    package let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    package init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], logPath: String? = nil) throws {
        let log = logPath ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("offload-\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString.prefix(8)).log").path
        self.logPath = log
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = [try Executable.find("setpriv"), "--pdeathsig", "KILL", executable] + arguments
        do {
            pid = try ProcessSpawner.spawn(argv, environment: env, fileDescriptors: [0: .devNull, 1: .appendToFile(log), 2: .duplicate(1)])
        } catch {
            throw TestSupportError(error.description)
        }
    }

    package func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Reaps the process if it has exited; never blocks.
    package var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || result < 0 {
            exitStatus = status
            return false
        }
        return true
    }

    /// The raw wait status once exited.
    package var status: Int32? {
        _ = isRunning
        lock.lock()
        defer { lock.unlock() }
        return exitStatus
    }

    package var exitCode: Int32? {
        guard let status else { return nil }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
    }

    /// Waits (without blocking a thread) until the process exits or the time is up.
    @discardableResult
    package func waitForExit(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// SIGTERM, then SIGKILL if it is still there after `grace`.
    package func stop(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        signal(SIGCONT)  // a stopped process acts on SIGTERM only once continued
        if await !waitForExit(timeout: grace) {
            signal(SIGKILL)
            await waitForExit(timeout: .seconds(5))
        }
    }

    package var output: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
