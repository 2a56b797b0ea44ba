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
    /// The read end of the child's stdout and stderr, when the supervisor relays them.
    private let outputFD: Int32?
    private var pendingOutput: [UInt8] = []

    private init(pid: pid_t, index: Int, reportFD: Int32, outputFD: Int32?) {
        self.pid = pid
        self.index = index
        self.reportFD = reportFD
        self.outputFD = outputFD
        self.startedAt = .now
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SupervisorError("pipe failed: \(String(cString: strerror(errno)))") }
        // Only the child's copies (dup2'ed) survive exec; later children must not inherit
        // this child's pipes.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Spawns `executable arguments` as a new process (posix_spawn: no fork of this
    /// threaded process) with the report pipe as its file descriptor 3.
    ///
    /// Linux keeps nice values per thread, so the child is started through `nice(1)`: its
    /// first thread, and every thread it creates, then runs at the lower priority.
    ///
    /// `relayOutput`: the child's stdout and stderr go to a pipe the supervisor reads
    /// (`readOutput`) instead of straight to the supervisor's stderr.
    static func spawn(executable: String, arguments: [String], niceness: Int, index: Int, relayOutput: Bool = false) throws -> ChildProcessHandle {
        let (readFD, writeFD) = try makePipe()
        let output = relayOutput ? try makePipe() : nil
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
        var fileDescriptors: [Int32: ProcessSpawner.FileDescriptor] = [WorkerReportChannel.fileDescriptor: .duplicate(writeFD)]
        if let output {
            fileDescriptors[STDOUT_FILENO] = .duplicate(output.write)
            fileDescriptors[STDERR_FILENO] = .duplicate(output.write)
        }
        let spawned = Result { () throws(ProcessSpawner.SpawnError) in
            try ProcessSpawner.spawn(argv, environment: environment, fileDescriptors: fileDescriptors)
        }
        close(writeFD)
        if let output { close(output.write) }
        switch spawned {
        case .success(let pid):
            return ChildProcessHandle(pid: pid, index: index, reportFD: readFD, outputFD: output?.read)
        case .failure(let error):
            close(readFD)
            if let output { close(output.read) }
            throw SupervisorError(error.description)
        }
    }

    /// What the child wrote to stdout or stderr since the last call, in whole lines (all
    /// of it once `exited`); never blocks.
    func readOutput(exited: Bool = false) -> [String] {
        guard let outputFD else { return [] }
        Self.readAvailable(outputFD, into: &pendingOutput)
        var end = exited ? pendingOutput.count : (pendingOutput.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
        if end == 0 && pendingOutput.count > 65_536 { end = pendingOutput.count }  // a line without end is cut
        guard end > 0 else { return [] }
        let lines = pendingOutput[..<end].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        pendingOutput.removeFirst(end)
        return lines
    }

    /// Complete report lines received since the last call; never blocks.
    func readReports() -> [WorkerReport] {
        Self.readAvailable(reportFD, into: &pending)
        // One pass over the bytes, then one removal: linear in what was read.
        let (reports, consumed) = WorkerReport.parse(pending)
        pending.removeFirst(consumed)
        return reports
    }

    /// Appends what a non-blocking pipe holds now.
    private static func readAvailable(_ fd: Int32, into bytes: inout [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
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
        if let outputFD { close(outputFD) }
    }

    /// "exit code 3", "signal 9 (Killed)" — for logs and job errors.
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit code \((status >> 8) & 0xff)" }
        return "signal \(signal) (\(String(cString: strsignal(signal))))"
    }

    static func exitedCleanly(_ status: Int32) -> Bool { status == 0 }
}

package struct SupervisorError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
