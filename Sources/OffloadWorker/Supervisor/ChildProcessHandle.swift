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
    /// Bytes read from the pipe that do not make a whole line yet.
    private var pending: [UInt8] = []

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
        // Two lines per job at tens of thousands of short jobs a second outgrow the default
        // 64 KiB between two reads 50 ms apart: ask for 1 MiB (F_SETPIPE_SZ, Linux's
        // default ceiling for unprivileged processes; a smaller pipe still works).
        _ = fcntl(readFD, 1031 /* F_SETPIPE_SZ */, 1 << 20)

        var environment = ProcessInfo.processInfo.environment
        environment[WorkerReportChannel.environmentKey] = String(WorkerReportChannel.fileDescriptor)
        environment["OFFLOAD_WORKER_INDEX"] = String(index)
        // The Swift runtime's crash backtrace takes over a second to print, during which
        // a crashed job looks like a hung one (and may be killed as a timeout). The
        // supervisor records the signal itself; SWIFT_BACKTRACE set by the user still wins.
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        let argv = niceness > 0 ? ["/usr/bin/nice", "-n", String(niceness), executable] + arguments : [executable] + arguments
        let spawned = Result { () throws(ProcessSpawner.SpawnError) in
            try ProcessSpawner.spawn(argv, environment: environment, fileDescriptors: [WorkerReportChannel.fileDescriptor: .duplicate(writeFD)])
        }
        close(writeFD)
        switch spawned {
        case .success(let pid):
            return ChildProcessHandle(pid: pid, index: index, reportFD: readFD)
        case .failure(let error):
            close(readFD)
            throw SupervisorError(error.description)
        }
    }

    /// Complete report lines received since the last call; never blocks.
    func readReports() -> [WorkerReport] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(reportFD, &buffer, buffer.count)
            guard count > 0 else { break }
            pending.append(contentsOf: buffer[0..<count])
        }
        // One pass over the bytes, then one removal: linear in what was read.
        let (reports, consumed) = WorkerReport.parse(pending)
        pending.removeFirst(consumed)
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
