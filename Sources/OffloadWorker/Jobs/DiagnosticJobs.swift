import Foundation
import Offload

/// Diagnostic job types (`test.*`), served by any worker started with
/// `--enable-test-jobs`: they measure the queue's own overhead and reproduce slow,
/// failing, crashing and hanging jobs for tests, demos and chaos runs.
enum DiagnosticJobs {
    static let all: [any RunnableJob] = [Noop(), StartedAt(), Sleep(), Fail(), Crash(), Hang()]

    struct Empty: Codable, Sendable {}

    /// Does nothing: measures the queue's own overhead.
    struct Noop: CPUJob {
        static let name = "test.noop"
        typealias Input = Empty
        typealias Output = Empty
        func run(_ input: Empty, context: JobContext) throws -> Empty { Empty() }
    }

    /// Returns the wall-clock time its handler started, in microseconds since the Unix
    /// epoch: a client on the same machine takes the time before it submits and gets the
    /// pickup latency, submit to handler start, end to end.
    struct StartedAt: CPUJob {
        static let name = "test.started-at"
        typealias Input = Empty
        struct Output: Codable, Sendable {
            let startedAtUs: Int64
            enum CodingKeys: String, CodingKey { case startedAtUs = "started_at_us" }
        }

        func run(_ input: Empty, context: JobContext) throws -> Output {
            Output(startedAtUs: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
        }
    }

    /// Waits on its thread, reporting progress, honouring cancellation. `retry_seconds`,
    /// when given, is how long attempts after the first wait: a first run long enough to be
    /// killed on a loaded machine, and a retry that finishes at once.
    struct Sleep: CPUJob {
        static let name = "test.sleep"
        struct Input: Codable, Sendable {
            let seconds: Double
            let retrySeconds: Double?
            enum CodingKeys: String, CodingKey {
                case seconds
                case retrySeconds = "retry_seconds"
            }
        }
        struct Output: Codable, Sendable { let slept: Double }

        func run(_ input: Input, context: JobContext) throws -> Output {
            let seconds = context.attempt > 1 ? input.retrySeconds ?? input.seconds : input.seconds
            let steps = max(1, Int(seconds * 20))
            for step in 1...steps {
                try context.checkCancellation()
                Thread.sleep(forTimeInterval: seconds / Double(steps))  // a worker thread: blocking is its job
                context.progress(step * 100 / steps, "step \(step) of \(steps)")
            }
            return Output(slept: seconds)
        }
    }

    /// Traps, killing its whole process: a poison job.
    struct Crash: CPUJob {
        static let name = "test.crash"
        typealias Input = Empty
        typealias Output = Empty

        func run(_ input: Empty, context: JobContext) throws -> Empty {
            fatalError("test.crash: crashing on purpose")
        }
    }

    /// Spins forever and ignores cancellation: only a hard timeout stops it.
    struct Hang: CPUJob {
        static let name = "test.hang"
        static let defaultTimeoutSeconds: Int? = 60
        typealias Input = Empty
        typealias Output = Empty

        func run(_ input: Empty, context: JobContext) throws -> Empty {
            var counter: UInt64 = 0
            while true { counter &+= 1 }
        }
    }

    /// Always fails with the message given.
    struct Fail: CPUJob {
        static let name = "test.fail"
        typealias Output = Empty
        struct Input: Codable, Sendable { let message: String? }
        struct Failure: Error, CustomStringConvertible { let description: String }

        func run(_ input: Input, context: JobContext) throws -> Empty {
            throw Failure(description: input.message ?? "failed on purpose")
        }
    }
}
