import NIOConcurrencyHelpers
import Offload
import Testing

@testable import OffloadWorker

/// A worker process makes way for a fresh one after its budget of jobs, or once its memory
/// has grown past the limit; it stops claiming, ends on its own, and leaves the rest queued.
@Suite(.timeLimit(.minutes(2))) struct RecyclingTests {
    /// A policy whose `retire` calls are recorded, reading `memory` as the process's.
    private static func policy(maxJobs: Int? = nil, maxMemoryMB: Int? = nil, memory: Int? = nil) -> (RecyclingPolicy, NIOLockedValueBox<[String]>) {
        let reasons = NIOLockedValueBox<[String]>([])
        let policy = RecyclingPolicy(maxJobs: maxJobs, maxMemoryMB: maxMemoryMB, residentMemoryMB: { memory }) { reason in
            reasons.withLockedValue { $0.append(reason) }
        }
        return (policy, reasons)
    }

    @Test func theJobBudgetIsUsedUpWhenItsLastJobStarts() {
        let (policy, reasons) = Self.policy(maxJobs: 3)
        #expect(policy.jobsLeft == 3)
        policy.jobStarted()
        policy.jobStarted()
        #expect(reasons.withLockedValue { $0 }.isEmpty)
        #expect(policy.jobsLeft == 1, "a batch takes no more than this")
        policy.jobStarted()
        #expect(reasons.withLockedValue { $0 } == ["ran 3 jobs (max 3)"])
        #expect(policy.jobsLeft == 0)
    }

    @Test func memoryPastTheLimitAfterAJobRetiresTheProcess() {
        let (within, withinReasons) = Self.policy(maxMemoryMB: 100, memory: 100)
        within.jobEnded()
        #expect(withinReasons.withLockedValue { $0 }.isEmpty, "at the limit it keeps going")
        let (over, overReasons) = Self.policy(maxMemoryMB: 100, memory: 101)
        over.jobEnded()
        #expect(overReasons.withLockedValue { $0 } == ["resident memory 101 MiB over 100 MiB"])
    }

    @Test func withoutLimitsNothingRetires() {
        let (policy, reasons) = Self.policy(memory: 1 << 20)
        for _ in 0..<1_000 { policy.jobStarted() }
        policy.jobEnded()
        #expect(reasons.withLockedValue { $0 }.isEmpty)
        #expect(policy.jobsLeft == .max)
    }

    @Test func theResidentMemoryIsRead() throws {
        let resident = try #require(RecyclingPolicy.residentMemoryMB())
        #expect(resident > 0)
    }

    @Test func aWorkerPastItsJobBudgetStopsOnItsOwnAndLeavesTheRestQueued() async throws {
        let worker = try RuntimeHarness(withSupervisorPipe: true) { $0.maxJobsPerChild = 3 }
        try await worker.start()
        var ids: [String] = []
        for _ in 0..<6 { ids.append(try await worker.submit(QuickJob.name)) }
        try await worker.waitUntilStopped()

        var completed = 0
        for id in ids {
            let record = try await worker.job(id)
            switch record.state {
            case .completed:
                completed += 1
                #expect(record.attempts == 1 && record.worker == worker.configuration.workerID)
            case .pending:
                #expect(record.attempts == 0, "a job claimed ahead and handed back keeps its attempts")
            default:
                Issue.record("\(id) is \(record.state)")
            }
        }
        #expect(completed == 3)
        let reports = worker.reports?.read() ?? []
        #expect(reports.contains(.retiring(reason: "ran 3 jobs (max 3)")), "the supervisor is told it is no crash")
        try await worker.close()
    }

    @Test func aWorkerPastItsMemoryLimitStopsAfterTheJob() async throws {
        // Any Swift process is past 1 MiB resident.
        let worker = try RuntimeHarness { $0.maxMemoryPerChildMB = 1 }
        try await worker.start()
        let first = try await worker.submit(QuickJob.name)
        try await worker.waitUntilStopped()
        #expect(try await worker.job(first).state == .completed)
        let second = try await worker.submit(QuickJob.name)
        #expect(try await worker.job(second).state == .pending, "a retired worker claims nothing more")
        try await worker.close()
    }
}
