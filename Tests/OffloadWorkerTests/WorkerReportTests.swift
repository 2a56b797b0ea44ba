import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// The lines a worker child sends its supervisor, as the supervisor reads them: whole
/// lines only, in any chunking the pipe delivers.
@Suite struct WorkerReportTests {
    static let reports: [WorkerReport] = [
        .hello(workerID: "vm:4242:a1b2c3", queues: ["default", "mail"]),
        .started(queue: "default", id: "default.01JDZ8Q0000000000000000000", token: "3f2a-token", attempt: 2, maxAttempts: 5,
                 timeoutSeconds: 600, leaseMilliseconds: 30_000),
        .started(queue: "q", id: "q.1", token: "t", attempt: 1, maxAttempts: 1, timeoutSeconds: nil, leaseMilliseconds: 1_000),
        .ran(id: "default.01JDZ8Q0000000000000000000"),
        .ended(id: "default.01JDZ8Q0000000000000000000"),
        .retiring(reason: "ran 1000 jobs"),
    ]

    @Test func linesParseBackToTheirReports() {
        let bytes = Array(Self.reports.map(\.line).joined().utf8)
        let (parsed, consumed) = WorkerReport.parse(bytes)
        #expect(parsed == Self.reports)
        #expect(consumed == bytes.count)
    }

    @Test func anUnfinishedLineWaitsForItsRest() {
        let bytes = Array(Self.reports.map(\.line).joined().utf8)
        // Cut everywhere, including inside a field and right after a tab.
        for cut in 0...bytes.count {
            let (first, consumed) = WorkerReport.parse(Array(bytes[..<cut]))
            let (rest, restConsumed) = WorkerReport.parse(Array(bytes[consumed...]))
            #expect(first + rest == Self.reports, "cut at \(cut)")
            #expect(consumed + restConsumed == bytes.count)
        }
    }

    @Test func malformedLinesAreSkipped() {
        let text = "start\tq\tid\n" + "end\n" + "start\tq\tq.1\tt\tx\t1\t0\t1000\n" + "bogus\tline\n" + "\n" + "end\tq.2\n"
        let (parsed, consumed) = WorkerReport.parse(Array(text.utf8))
        #expect(parsed == [.ended(id: "q.2")])
        #expect(consumed == text.utf8.count)
    }

    /// A burst of short jobs writes more than the pipe holds while the supervisor is between
    /// reads. The rest must follow as the pipe drains, not wait for a report that may never
    /// come: a held `ended` line would get a healthy child killed at that job's timeout.
    @Test func linesThePipeCouldNotTakeFollowWithoutAnotherReport() async throws {
        let pipe = try ReportPipe()
        let flusher = Task { await pipe.channel.flushBacklog() }
        defer { flusher.cancel() }

        // About 120 KB with nobody reading: more than a pipe's 64 KB.
        let burst = (0..<3_000).map { WorkerReport.ended(id: "default.01JDZ8Q0000000\(10_000 + $0)0000000") }
        for report in burst { pipe.channel.send(report) }

        // Read as the supervisor does; nothing more is sent. A few ms when the machine is idle.
        var received: [WorkerReport] = []
        try? await waitUntil("every line arrives") {
            received += pipe.read()
            return received.count >= burst.count
        }
        let allInOrder = received == burst
        #expect(allInOrder, "\(received.count) of \(burst.count) lines arrived")
    }
}
