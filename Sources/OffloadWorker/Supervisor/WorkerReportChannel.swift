import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// One line a worker child sends its supervisor: which job it started (with the lease
/// token and limits, so the supervisor can fail it if the child dies or overruns its
/// hard timeout) and which it ended. Tab-separated; ids and tokens contain no tabs.
enum WorkerReport: Equatable {
    case started(queue: String, id: String, token: String, attempt: Int, maxAttempts: Int, timeoutSeconds: Int?, leaseMilliseconds: Int)
    case ended(id: String)
    /// The child will exit once its running jobs end (recycling); do not count it as a crash.
    case retiring(reason: String)

    init?(line: String) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        switch fields.first {
        case "start" where fields.count == 8:
            guard let attempt = Int(fields[4]), let maxAttempts = Int(fields[5]), let lease = Int(fields[7]) else { return nil }
            self = .started(
                queue: fields[1], id: fields[2], token: fields[3], attempt: attempt, maxAttempts: maxAttempts,
                timeoutSeconds: Int(fields[6]).flatMap { $0 > 0 ? $0 : nil }, leaseMilliseconds: lease)
        case "end" where fields.count == 2:
            self = .ended(id: fields[1])
        case "retire" where fields.count == 2:
            self = .retiring(reason: fields[1])
        default:
            return nil
        }
    }

    var line: String {
        switch self {
        case let .started(queue, id, token, attempt, maxAttempts, timeout, lease):
            return ["start", queue, id, token, String(attempt), String(maxAttempts), String(timeout ?? 0), String(lease)].joined(separator: "\t") + "\n"
        case .ended(let id):
            return "end\t\(id)\n"
        case .retiring(let reason):
            return "retire\t\(reason.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " "))\n"
        }
    }
}

/// The child's end of the report pipe (fd 3, named in the environment by the supervisor).
/// Writes never block a worker thread: what the pipe cannot take now (the supervisor reads
/// it every 50 ms) is kept and goes out first on the next report, so no line is lost or
/// cut. A lost `ended` line would leave the supervisor timing a job that is over.
public final class WorkerReportChannel: Sendable {
    static let fileDescriptor: Int32 = 3
    static let environmentKey = "OFFLOAD_SUPERVISOR_FD"
    private let fd: Int32
    private let unsent = NIOLockedValueBox<[UInt8]>([])

    /// The channel when running under a supervisor, else nil.
    public static func fromEnvironment() -> WorkerReportChannel? {
        guard let text = ProcessInfo.processInfo.environment[environmentKey], let fd = Int32(text) else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return WorkerReportChannel(fd: fd)
    }

    private init(fd: Int32) { self.fd = fd }

    func send(_ report: WorkerReport) {
        unsent.withLockedValue { unsent in
            unsent.append(contentsOf: report.line.utf8)
            let written = unsent.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 { unsent.removeFirst(written) }
        }
    }
}
