import Offload
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// Leases held by a running worker: renewed while the job runs, however long; reaped when
/// their worker is gone; and the heartbeat that renews them brings cancellations.
@Suite(.timeLimit(.minutes(2))) struct LeaseWatchdogTests {
    @Test func aRunningJobsLeaseIsRenewedEachTimeAThirdOfItHasGone() async throws {
        let worker = try RuntimeHarness()
        try await worker.start()
        let id = try await worker.submit { $0.leaseMilliseconds = 1_500 }
        try await worker.held.waitUntilStarted(id)
        let granted = try #require(try await worker.leaseDeadline(id))
        #expect(granted == worker.time.wall.nowMilliseconds() + 1_500)

        try await worker.time.waitForSleeper(at: .milliseconds(500), "the watchdog waits for a third of the lease")
        worker.time.advance(by: .milliseconds(499))
        #expect(try await worker.leaseDeadline(id) == granted, "not renewed before a third has gone")
        worker.time.advance(by: .milliseconds(1))
        // Twice the lease in all; the reaper looks every second meanwhile.
        for renewal in 1...6 {
            let expected = worker.time.wall.nowMilliseconds() + 1_500
            try await waitUntil("renewal \(renewal)") { try await worker.leaseDeadline(id) == expected }
            try await worker.time.waitForSleeper(at: .milliseconds(500 * (renewal + 1)), "the watchdog waits for the next third")
            worker.time.advance(by: .milliseconds(500))
        }

        #expect(try await worker.job(id).state == .active, "the reaper never took it")
        worker.held.release(id)
        let record = try await worker.waitForState(.completed, of: id)
        #expect(record.attempts == 1, "one run, never interrupted: \(String(describing: record.error))")
        try await worker.close()
    }

    @Test func aJobWhoseLeaseIsNotRenewedIsReapedAndRunsAgain() async throws {
        let worker = try RuntimeHarness()
        let id = try await worker.submit { $0.leaseMilliseconds = 2_000 }
        // Another worker claims it and dies: nobody renews its lease.
        let lost = try #require(try await worker.broker.claim(queue: RuntimeHarness.queue, limit: 1, token: "gone", workerID: "crashed").jobs.first)
        try await worker.start()
        worker.time.advance(by: .seconds(1))
        try await worker.time.waitForSleeper(at: .seconds(2), "maintenance had its round at 1 s")
        #expect(try await worker.job(id).state == .active, "a lease with time left is not reaped")
        #expect(!worker.held.hasStarted(id))

        worker.time.advance(by: .milliseconds(1_001))
        try await worker.held.waitUntilStarted(id)
        var record = try await worker.job(id)
        #expect(record.state == .active && record.attempts == 2 && record.worker == worker.configuration.workerID)
        #expect(record.error?.type == "lease_expired")
        #expect(try await worker.broker.complete(lost, resultJSON: "{}") == false, "the dead worker's token no longer counts")
        worker.held.release(id)
        record = try await worker.waitForState(.completed, of: id)
        #expect(record.attempts == 2)
        try await worker.close()
    }

    @Test func aRunningJobHearsOfItsCancellationAtTheNextHeartbeatWithinASecond() async throws {
        let worker = try RuntimeHarness()
        try await worker.start()
        let id = try await worker.submit()  // a 30 s lease: renewed at 10 s, but checked every second
        try await worker.held.waitUntilStarted(id)
        try await worker.time.waitForSleeper(at: .seconds(1), "the watchdog waits for the first heartbeat")
        #expect(try await worker.inspector.cancel(id) == .active)

        worker.time.advance(by: .milliseconds(999))
        #expect(worker.held.stopReason(id) == nil, "the handler hears of it with the heartbeat, not before")
        worker.time.advance(by: .milliseconds(1))
        try await waitUntil("the handler stops") { worker.held.stopReason(id) != nil }
        #expect(worker.held.stopReason(id) == CancelReason.cancelled)
        let record = try await worker.waitForState(.cancelled, of: id)
        #expect(record.attempts == 1)
        try await worker.close()
    }
}
