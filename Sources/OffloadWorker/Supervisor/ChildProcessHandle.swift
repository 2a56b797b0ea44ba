import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A worker child process spawned by the supervisor, with the read end of the pipe on
/// which the child reports the jobs it starts and ends.
final class ChildProcessHandle {
    let pid: pid_t
    let index: Int
    let startedAt: ContinuousClock.Instant
    private let reportFD: Int32
    private var pendingText = ""

    private init(pid: pid_t, index: Int, reportFD: Int32) {
        self.pid = pid
        self.index = index
        self.reportFD = reportFD
        self.startedAt = .now
    }

    /// Spawns `executable arguments` as a new process (posix_spawn: no fork of this
    /// threaded process) with the report pipe as its file descriptor 3.
    ///
    /// Linux keeps nice values per thread, so the child is started through `nice(1)`: its
    /// first thread, and every thread it creates, then runs at the lower priority.
    static func spawn(executable: String, arguments: [String], niceness: Int, index: Int) throws -> ChildProcessHandle {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SupervisorError("pipe failed: \(String(cString: strerror(errno)))") }
        let (readFD, writeFD) = (fds[0], fds[1])
        // Only the child's copy (dup2'ed to fd 3) survives exec; later children must not
        // inherit this child's pipe.
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeFD, WorkerReportChannel.fileDescriptor)

        var environment = ProcessInfo.processInfo.environment
        environment[WorkerReportChannel.environmentKey] = String(WorkerReportChannel.fileDescriptor)
        environment["OFFLOAD_WORKER_INDEX"] = String(index)
        let argv = niceness > 0 ? ["/usr/bin/nice", "-n", String(niceness), executable] + arguments : [executable] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArgs { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var pid: pid_t = 0
        // The spawning thread may block or ignore signals (signal handling in this process
        // does); the new process starts with an empty mask and default handlers, so it
        // really receives SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var catchable = sigset_t()
        sigfillset(&catchable)
        sigdelset(&catchable, SIGKILL)
        sigdelset(&catchable, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &catchable)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        close(writeFD)
        guard status == 0 else {
            close(readFD)
            throw SupervisorError("cannot spawn \(executable): \(String(cString: strerror(status)))")
        }
        return ChildProcessHandle(pid: pid, index: index, reportFD: readFD)
    }

    /// Complete report lines received since the last call; never blocks.
    func readReports() -> [WorkerReport] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reportFD, &buffer, buffer.count)
            guard count > 0 else { break }
            pendingText += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        var reports: [WorkerReport] = []
        while let newline = pendingText.firstIndex(of: "\n") {
            let line = String(pendingText[..<newline])
            pendingText.removeSubrange(...newline)
            if let report = WorkerReport(line: line) { reports.append(report) }
        }
        return reports
    }

    /// The wait status if the process has exited (and is now reaped); never blocks.
    func pollExit() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return status }
        if result < 0 && errno == ECHILD { return 0 }
        return nil
    }

    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    func closePipe() {
        close(reportFD)
    }

    /// "exit code 3", "signal 9 (Killed)" — for logs and job errors.
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit code \((status >> 8) & 0xff)" }
        return "signal \(signal) (\(String(cString: strsignal(signal))))"
    }

    static func exitedCleanly(_ status: Int32) -> Bool { status == 0 }
}

public struct SupervisorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
