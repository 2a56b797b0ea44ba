import Offload
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// Stopping a worker loses nothing: running jobs get the grace period, counted from the
/// stop request, to finish; what is still running then is told to stop and goes back to
/// pending at once, without spending an attempt, as does everything not started.
@Suite(.timeLimit(.minutes(2))) struct DrainTests {
    @Test func runningJobsGetTheGracePeriodAndTheRestGoBackToPending() async throws {
        let worker = try RuntimeHarness {
            $0.concurrency = 2
            $0.gracePeriod = .seconds(10)
        }
        try await worker.start()
        let finishing = try await worker.submit()
        let overrunning = try await worker.submit()
        try await worker.held.waitUntilStarted(finishing)
        try await worker.held.waitUntilStarted(overrunning)
        let waiting = try await worker.submit(QuickJob.name)  // both slots are busy

        worker.time.advance(by: .seconds(2))
        worker.runtime.beginShutdown()
        worker.held.release(finishing)
        #expect(try await worker.waitForState(.completed, of: finishing).attempts == 1, "a running job finishes")
        try await worker.time.waitForSleeper(at: .seconds(12), "the drain waits out the grace period from the stop request")
        worker.time.advance(by: .seconds(10) - .milliseconds(1))
        #expect(worker.held.stopReason(overrunning) == nil, "it still has the grace period")
        #expect(try await worker.job(overrunning).state == .active)

        worker.time.advance(by: .milliseconds(1))
        try await worker.waitUntilStopped()
        let handedBack = try await worker.job(overrunning)
        #expect(handedBack.state == .pending && handedBack.attempts == 0, "\(handedBack.state) \(handedBack.attempts)")
        try await waitUntil("the handler is told to stop") { worker.held.stopReason(overrunning) != nil }
        #expect(worker.held.stopReason(overrunning) == CancelReason.shutdown)
        let notStarted = try await worker.job(waiting)
        #expect(notStarted.state == .pending && notStarted.attempts == 0)
        #expect(try await worker.inspector.workers().isEmpty, "a stopped worker leaves the registry")
        try await worker.close()
    }

    @Test func whenEveryJobFinishesInTimeTheWorkerStopsWithoutWaitingOutTheGracePeriod() async throws {
        let worker = try RuntimeHarness { $0.gracePeriod = .seconds(30) }
        try await worker.start()
        let id = try await worker.submit()
        try await worker.held.waitUntilStarted(id)
        worker.runtime.beginShutdown()
        worker.held.release(id)
        try await worker.waitUntilStopped()  // no time moved
        #expect(try await worker.job(id).state == .completed, "its outcome was stored before the worker stopped")
        try await worker.close()
    }
}
