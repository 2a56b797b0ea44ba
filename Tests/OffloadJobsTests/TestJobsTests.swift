import Foundation
@testable import OffloadWorker
import Testing

@testable import offload_worker

@Suite struct TestJobsTests {
    private func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// test.started-at, run as a worker runs it: any payload, the handler's start time out.
    @Test func startedAtReportsWhenItsHandlerRan() throws {
        let handler = try #require((try JobRegistry(jobs: Jobs.all, includeDiagnostics: true)).handler(for: "test.started-at"))
        guard case .cpu(let body) = handler.execution else { Issue.record("test.started-at should be a CPU job"); return }
        let before = microseconds(Date())
        let result = try body(#"{"pad":"xxxxxxxx"}"#, .standalone())
        let after = microseconds(Date())
        let output = try decode(DiagnosticJobs.StartedAt.Output.self, result)
        #expect((before...after).contains(output.startedAtUs))
        #expect(try json(output).keys.sorted() == ["started_at_us"])
    }

    @Test func servedOnlyWithTestJobs() throws {
        #expect((try JobRegistry(jobs: Jobs.all, includeDiagnostics: true)).names.contains("test.started-at"))
        #expect(!(try JobRegistry(jobs: Jobs.all, includeDiagnostics: false)).names.contains("test.started-at"))
    }
}
