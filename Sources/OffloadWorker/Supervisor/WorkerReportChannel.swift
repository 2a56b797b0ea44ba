import Foundation
import NIOConcurrencyHelpers
import Offload

#if canImport(Glibc)
import Glibc
#endif

/// One line a worker child sends its supervisor: which job it started (with the lease
/// token and limits, so the supervisor can fail it if the child dies or overruns its
/// hard timeout) and which it ended. Tab-separated; ids and tokens contain no tabs.
enum WorkerReport: Equatable {
    /// First, once: the child's worker id (the `worker` its claims write on jobs) and its
    /// queues, so the supervisor can give back what it held if it dies.
    case hello(workerID: String, queues: [String])
    case started(queue: String, id: String, token: String, attempt: Int, maxAttempts: Int, timeoutSeconds: Int?, leaseMilliseconds: Int)
    /// The job's handler returned: its hard timeout no longer runs, though its outcome may
    /// still be on its way to Redis (sent only for jobs with a timeout).
    case ran(id: String)
    case ended(id: String)
    /// The child will exit once its running jobs end (recycling); do not count it as a crash.
    case retiring(reason: String)

    /// The reports in the whole lines of `bytes`, and how many bytes those lines took (a
    /// last line without its newline waits for the rest). Parsed on the bytes, without a
    /// String per field: a supervisor reads two lines per job, tens of thousands a second.
    /// Malformed lines are skipped.
    static func parse(_ bytes: [UInt8]) -> (reports: [WorkerReport], consumed: Int) {
        bytes.withUnsafeBufferPointer { buffer in
            var reports: [WorkerReport] = []
            var lineStart = 0
            var fields: [Range<Int>] = []
            fields.reserveCapacity(8)
            var index = 0
            while index < buffer.count {
                let byte = buffer[index]
                if byte == UInt8(ascii: "\n") {
                    fields.append(lineStart..<index)
                    if let report = WorkerReport(fields: fields, in: buffer) { reports.append(report) }
                    fields.removeAll(keepingCapacity: true)
                    lineStart = index + 1
                } else if byte == UInt8(ascii: "\t") {
                    fields.append(lineStart..<index)
                    lineStart = index + 1
                }
                index += 1
            }
            // lineStart is the start of the unfinished line (its fields are read again).
            let consumed = fields.first?.lowerBound ?? lineStart
            return (reports, consumed)
        }
    }

    private init?(fields: [Range<Int>], in bytes: UnsafeBufferPointer<UInt8>) {
        func text(_ field: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[fields[field]]), as: UTF8.self) }
        func number(_ field: Int) -> Int? {
            let range = fields[field]
            guard !range.isEmpty, range.count < 19 else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func kind(_ name: StaticString) -> Bool {
            let range = fields[0]
            guard range.count == name.utf8CodeUnitCount else { return false }
            return name.withUTF8Buffer { name in zip(bytes[range], name).allSatisfy { $0 == $1 } }
        }
        if kind("hello"), fields.count == 3 {
            self = .hello(workerID: text(1), queues: text(2).split(separator: ",").map(String.init))
        } else if kind("start"), fields.count == 8 {
            guard let attempt = number(4), let maxAttempts = number(5), let timeout = number(6), let lease = number(7) else { return nil }
            self = .started(
                queue: text(1), id: text(2), token: text(3), attempt: attempt, maxAttempts: maxAttempts,
                timeoutSeconds: timeout > 0 ? timeout : nil, leaseMilliseconds: lease)
        } else if kind("ran"), fields.count == 2 {
            self = .ran(id: text(1))
        } else if kind("end"), fields.count == 2 {
            self = .ended(id: text(1))
        } else if kind("retire"), fields.count == 2 {
            self = .retiring(reason: text(1))
        } else {
            return nil
        }
    }

    var line: String {
        switch self {
        case let .hello(workerID, queues):
            return "hello\t\(workerID)\t\(queues.joined(separator: ","))\n"
        case let .started(queue, id, token, attempt, maxAttempts, timeout, lease):
            // Built in one buffer: a job thread writes one of these per job.
            var line = "start\t"
            line.reserveCapacity(queue.utf8.count + id.utf8.count + token.utf8.count + 48)
            line += queue
            line += "\t"
            line += id
            line += "\t"
            line += token
            line += "\t"
            line += String(attempt)
            line += "\t"
            line += String(maxAttempts)
            line += "\t"
            line += String(timeout ?? 0)
            line += "\t"
            line += String(lease)
            line += "\n"
            return line
        case .ran(let id):
            return "ran\t\(id)\n"
        case .ended(let id):
            return "end\t\(id)\n"
        case .retiring(let reason):
            return "retire\t\(reason.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " "))\n"
        }
    }
}

/// The child's end of the report pipe (fd 3, named in the environment by the supervisor).
/// Writes never block a worker thread: what the pipe cannot take now (the supervisor reads
/// it every 50 ms, and a burst of short jobs writes more than the pipe holds) is kept, goes
/// out first on the next report, and is written by `flushBacklog` meanwhile, so no line is
/// lost, cut or held back. A held `ended` line would leave the supervisor timing a job that
/// is over, and killing a healthy child at that job's timeout.
package final class WorkerReportChannel: Sendable {
    static let fileDescriptor: Int32 = 3
    static let environmentKey = "OFFLOAD_SUPERVISOR_FD"
    private let fd: Int32
    private let unsent = NIOLockedValueBox<[UInt8]>([])
    /// Told each time a report leaves bytes behind; `flushBacklog` waits on it.
    private let backlog = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    /// The channel when running under a supervisor, else nil.
    package static func fromEnvironment() -> WorkerReportChannel? {
        guard let text = ProcessInfo.processInfo.environment[environmentKey], let fd = Int32(text) else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return WorkerReportChannel(fd: fd)
    }

    /// `fd`: the pipe's write end; it is made non-blocking.
    init(fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
    }

    func send(_ report: WorkerReport) {
        var line = report.line
        let leftBehind = unsent.withLockedValue { unsent in
            if unsent.isEmpty {
                // The usual case: straight from the line's bytes; only a remainder is kept.
                line.withUTF8 { bytes in
                    let written = max(0, write(fd, bytes.baseAddress, bytes.count))
                    if written < bytes.count { unsent.append(contentsOf: bytes[written...]) }
                }
            } else {
                unsent.append(contentsOf: line.utf8)
                writeUnsent(&unsent)
            }
            return !unsent.isEmpty
        }
        if leftBehind { backlog.continuation.yield() }
    }

    /// Writes what reports left behind as the pipe drains, until the task is cancelled.
    package func flushBacklog() async {
        for await _ in backlog.stream {
            while unsent.withLockedValue({ unsent in writeUnsent(&unsent); return !unsent.isEmpty }) {
                do { try await Delay.wait(.milliseconds(5)) } catch { return }
            }
        }
    }

    private func writeUnsent(_ unsent: inout [UInt8]) {
        guard !unsent.isEmpty else { return }
        let written = unsent.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written > 0 { unsent.removeFirst(written) }
    }
}
