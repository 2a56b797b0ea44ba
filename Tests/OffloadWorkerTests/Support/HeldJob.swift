import Foundation
import NIOConcurrencyHelpers
import Offload
import OffloadTestSupport
import OffloadWorker
import Testing

/// The handlers a test holds: which started, and the switch that lets each finish.
final class HeldJobs: Sendable {
    private struct State {
        var started: Set<String> = []
        var released: Set<String> = []
        var allReleased = false
        /// Why a cooperative handler stopped before it was released.
        var stopReasons: [String: String] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func didStart(_ id: String) { state.withLockedValue { _ = $0.started.insert(id) } }
    func hasStarted(_ id: String) -> Bool { state.withLockedValue { $0.started.contains(id) } }
    func isReleased(_ id: String) -> Bool { state.withLockedValue { $0.allReleased || $0.released.contains(id) } }
    func didStop(_ id: String, reason: String) { state.withLockedValue { $0.stopReasons[id] = reason } }
    func stopReason(_ id: String) -> String? { state.withLockedValue { $0.stopReasons[id] } }

    /// Lets the handler of `id` return.
    func release(_ id: String) { state.withLockedValue { _ = $0.released.insert(id) } }

    /// Lets every handler return, now and later.
    func releaseAll() { state.withLockedValue { $0.allReleased = true } }

    func waitUntilStarted(_ id: String) async throws {
        try await waitUntil("the handler of \(id) starts") { hasStarted(id) }
    }
}

/// A CPU job that runs on its thread until its test releases it; a cooperative one also
/// stops once its context is cancelled, as a well-written handler does.
struct HeldJob: CPUJob {
    static let name = "held"
    struct Input: Codable, Sendable { var cooperative: Bool? }
    struct Output: Codable, Sendable { var released: Bool }
    struct HeldTooLong: Error {}

    let jobs: HeldJobs

    func run(_ input: Input, context: JobContext) throws -> Output {
        jobs.didStart(context.jobID)
        // A test that never lets go fails instead of leaving a thread spinning.
        let giveUp = ContinuousClock.now + .seconds(120)
        while !jobs.isReleased(context.jobID) {
            if input.cooperative ?? true {
                do {
                    try context.checkCancellation()
                } catch {
                    jobs.didStop(context.jobID, reason: error.reason)
                    throw error
                }
            }
            guard ContinuousClock.now < giveUp else { throw HeldTooLong() }
            Thread.sleep(forTimeInterval: 0.001)  // a job thread: blocking is its job
        }
        return Output(released: true)
    }
}

/// A CPU job that returns at once.
struct QuickJob: CPUJob {
    static let name = "quick"
    struct Empty: Codable, Sendable {}
    typealias Input = Empty
    typealias Output = Empty

    func run(_ input: Empty, context: JobContext) throws -> Empty { Empty() }
}
