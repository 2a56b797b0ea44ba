import Foundation
import NIOConcurrencyHelpers
import OffloadTestSupport

@testable import OffloadWorker

/// The pipe a worker child reports to its supervisor on, with both ends in this process:
/// the test reads the reports as the supervisor would.
final class ReportPipe: Sendable {
    let channel: WorkerReportChannel
    private let readEnd: Int32
    private let writeEnd: Int32
    /// Bytes read that do not make a whole line yet.
    private let unparsed = NIOLockedValueBox<[UInt8]>([])

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw TestSupportError("pipe failed: \(String(cString: strerror(errno)))") }
        (readEnd, writeEnd) = (ends[0], ends[1])
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        channel = WorkerReportChannel(fd: writeEnd)
    }

    /// The reports whose lines arrived since the last call; never blocks.
    func read() -> [WorkerReport] {
        unparsed.withLockedValue { bytes in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while case let count = Foundation.read(readEnd, &buffer, buffer.count), count > 0 {
                bytes += buffer[0..<count]
            }
            let (reports, consumed) = WorkerReport.parse(bytes)
            bytes.removeFirst(consumed)
            return reports
        }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
