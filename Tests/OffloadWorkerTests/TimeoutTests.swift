import Offload
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// A job's timeout, both ways it ends a run: the soft one asks the handler to stop at 90%
/// of it; the hard one, for a handler that does not listen, costs its process (the
/// supervisor's decision, from the runtime's reports: here no process is killed).
@Suite(.timeLimit(.minutes(2))) struct TimeoutTests {
    @Test func theSoftTimeoutStopsACooperativeHandlerAtNineTenthsOfTheTimeout() async throws {
        let worker = try RuntimeHarness()
        try await worker.start()
        let id = try await worker.submit {
            $0.timeoutSeconds = 2
            $0.maxAttempts = 1
        }
        try await worker.held.waitUntilStarted(id)
        try await worker.time.waitForSleeper(at: .seconds(1), "the watchdog waits for the first heartbeat")
        worker.time.advance(by: .seconds(1))
        try await worker.time.waitForSleeper(at: .milliseconds(1_800), "the watchdog waits for the soft timeout")
        worker.time.advance(by: .milliseconds(799))
        #expect(worker.held.stopReason(id) == nil, "not before 90% of the timeout")

        worker.time.advance(by: .milliseconds(1))
        let record = try await worker.waitForState(.dead, of: id)
        #expect(worker.held.stopReason(id) == CancelReason.softTimeout)
        #expect(record.error?.type == "timeout")
        #expect(record.error?.message == "soft timeout reached", "stopped by the handler itself")
        try await worker.close()
    }

    @Test func theHardTimeoutTimesTheHandlerFromItsStartUntilItReturns() async throws {
        let worker = try RuntimeHarness(withSupervisorPipe: true)
        let margin = SupervisorConfiguration(executablePath: "", childArguments: []).hardTimeoutMargin
        var child = ChildJobs<TestClock.Instant>()
        func readReports() {
            for report in worker.reports?.read() ?? [] { child.apply(report, at: worker.time.monotonic.now) }
        }
        func overrun() -> String? { child.overrunningHardTimeout(at: worker.time.monotonic.now, margin: margin)?.job.id }

        try await worker.start()
        // It ignores its soft timeout: only the hard one can stop it.
        let id = try await worker.submit(payload: #"{"cooperative": false}"#) { $0.timeoutSeconds = 1 }
        try await worker.held.waitUntilStarted(id)
        readReports()
        let tracked = try #require(child.byID[id], "the supervisor hears the handler started")
        #expect(tracked.job.timeoutSeconds == 1 && tracked.job.attempt == 1)
        #expect(try await worker.job(id).state == .active)

        worker.time.advance(by: .seconds(1) + margin)
        readReports()
        #expect(overrun() == nil, "at the timeout and its margin exactly, it may still finish")
        worker.time.advance(by: .milliseconds(1))
        #expect(overrun() == id, "past them, its process is killed")
        #expect(try await worker.job(id).state == .active, "the soft timeout did not stop it")

        // Here the handler is let go instead: once it returned, its timeout no longer runs.
        worker.held.release(id)
        try await waitUntil("the supervisor hears the handler returned") {
            readReports()
            return child.byID[id]?.handlerReturned ?? true
        }
        // Stored before time moves on: a minute later its lease would have run out, and the
        // reaper would take back a job whose result is still on its way.
        #expect(try await worker.waitForState(.completed, of: id).attempts == 1)
        worker.time.advance(by: .seconds(60))
        #expect(overrun() == nil)
        try await waitUntil("the supervisor hears the job ended") {
            readReports()
            return child.byID[id] == nil
        }
        try await worker.close()
    }
}
