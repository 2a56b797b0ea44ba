import Foundation
import Offload
import OffloadTestSupport
import Testing

/// `OffloadClient` as an app uses it, through the public API only: typed submits to real
/// worker processes on a real Redis, results and their errors.
@Suite(.timeLimit(.minutes(2))) struct OffloadClientTests {
    /// The stock worker's `count-primes`, defined as an app that shares only the wire shape would.
    struct CountPrimes: JobDefinition {
        static let name = "count-primes"
        struct Input: Codable, Sendable { let below: Int }
        struct Output: Codable, Sendable, Equatable { let count: Int }
    }

    /// The same type with an output the worker never writes: an older or newer definition.
    struct CountPrimesWrongOutput: JobDefinition {
        static let name = "count-primes"
        typealias Input = CountPrimes.Input
        struct Output: Codable, Sendable { let primes: [Int] }
    }

    struct Sleep: JobDefinition {
        static let name = "test.sleep"
        struct Input: Codable, Sendable { let seconds: Double }
        struct Output: Codable, Sendable { let slept: Double }
    }

    struct Fail: JobDefinition {
        static let name = "test.fail"
        struct Input: Codable, Sendable { let message: String? }
        struct Output: Codable, Sendable {}
    }

    /// A Redis, one worker supervisor with two processes, and a client with the stack's prefix.
    static func withStack(_ body: (OffloadClient) async throws -> Void) async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let stack = try OffloadStack(redisURL: redis.url)
        try stack.startWorker(["--processes", "2", "--concurrency", "2"])
        let client = try OffloadClient(redisURL: redis.url, keyPrefix: stack.keyPrefix)
        do {
            try await waitUntil("the worker published its job types") {
                try await client.inspector.workers().count == 2
            }
            try await body(client)
        } catch {
            await client.shutdown()
            await stack.stop()
            await redis.stop()
            throw error
        }
        await client.shutdown()
        await stack.stop()
        await redis.stop()
    }

    @Test func typedSubmitsReturnTypedResults() async throws {
        try await Self.withStack { client in
            let job = try await client.submit(CountPrimes.self, .init(below: 100_000), options: .init(priority: 5))
            #expect(job.created == true)
            #expect(try await job.result(timeout: .seconds(60)) == CountPrimes.Output(count: 9592))

            let batch = try await client.submitBatch(CountPrimes.self, (1...50).map { CountPrimes.Input(below: $0 * 100) })
            for (index, outcome) in batch.enumerated() {
                let output = try await outcome.get().result(timeout: .seconds(60))
                #expect(output.count == EndToEndTests.referencePrimeCount(below: (index + 1) * 100))
            }

            // The same key returns the first job, as over HTTP.
            let keyed = try await client.submit(CountPrimes.self, .init(below: 10), options: .init(idempotencyKey: "k1"))
            let again = try await client.submit(CountPrimes.self, .init(below: 10), options: .init(idempotencyKey: "k1"))
            #expect(again.id == keyed.id)
            #expect(again.created == false)

            // A handle made from an id, and an untyped submit, reach the same results.
            let byID = client.handle(forJob: job.id, as: CountPrimes.self)
            #expect(try await byID.result(timeout: .seconds(5)).count == 9592)
            let untyped = try await client.submit(type: "count-primes", payload: .object(["below": .number(1000)]))
            #expect(try await untyped.result(timeout: .seconds(60)) == .object(["count": .number(168)]))
            #expect(try await untyped.info().state == .completed)
        }
    }

    @Test func progressAndStateChangesArriveAsEvents() async throws {
        try await Self.withStack { client in
            // 3 s, 60 reports: a loaded machine still follows the job before the last of them.
            let job = try await client.submit(Sleep.self, .init(seconds: 3))
            var percents: [Int] = []
            var changes: [String] = []
            for try await event in job.events {
                switch event {
                case .progress(let percent, _): percents.append(percent)
                case .changed(let name): changes.append(name)
                }
            }
            #expect(!percents.isEmpty)
            #expect(percents == percents.sorted())
            #expect(changes.last == "completed")
            #expect(try await job.result(timeout: .seconds(5)).slept == 3)
        }
    }

    @Test func eachWayAJobCanEndWithoutOutputIsATypedError() async throws {
        try await Self.withStack { client in
            // Died: the handler's error type and message.
            let failing = try await client.submit(Fail.self, .init(message: "no such image"), options: .init(maxAttempts: 1))
            await #expect(throws: JobResultError.failed(JobError(type: "Failure", message: "no such image"))) {
                try await failing.result(timeout: .seconds(60))
            }

            // Cancelled while running.
            let sleeping = try await client.submit(Sleep.self, .init(seconds: 30))
            try await waitUntil("the sleep job runs") { try await sleeping.info().state == .active }
            #expect(try await sleeping.cancel() == .active)
            await #expect(throws: JobResultError.cancelled) { try await sleeping.result(timeout: .seconds(60)) }

            // Not finished in time: the state it was in.
            let slow = try await client.submit(Sleep.self, .init(seconds: 20))
            await #expect {
                try await slow.result(timeout: .milliseconds(300))
            } throws: { error in
                guard case .timedOut(let state) = error as? JobResultError else { return false }
                return state == .pending || state == .active
            }
            try await slow.cancel()

            // A result the definition cannot read.
            let wrong = try await client.submit(CountPrimesWrongOutput.self, .init(below: 100))
            await #expect {
                try await wrong.result(timeout: .seconds(60))
            } throws: { error in
                guard case .undecodableOutput(let result, _) = error as? JobResultError else { return false }
                return result == #"{"count":25}"#
            }

            // No such job.
            let ghost = client.handle(forJob: "default.01JZ0000000000000000000000", as: CountPrimes.self)
            await #expect {
                try await ghost.result(timeout: .seconds(1))
            } throws: { error in
                guard case .offload(let cause) = error as? JobResultError else { return false }
                return cause.code == .notFound
            }
        }
    }

    @Test func refusedSubmitsAreTypedErrorsAndEnqueueNothing() async throws {
        try await Self.withStack { client in
            struct NotDeployed: JobDefinition {
                static let name = "not.deployed"
                struct Input: Codable, Sendable {}
                struct Output: Codable, Sendable {}
            }
            await #expect {
                try await client.submit(NotDeployed.self, .init())
            } throws: { ($0 as? OffloadError)?.code == .unknownJobType }
            await #expect {
                try await client.submit(CountPrimes.self, .init(below: 10), options: .init(queue: "bad queue!"))
            } throws: { ($0 as? OffloadError)?.code == .invalid }
            await #expect {
                try await client.submit(CountPrimes.self, .init(below: 10), options: .init(priority: 5000))
            } throws: { ($0 as? OffloadError)?.code == .invalid }
            #expect(try await client.inspector.queues().allSatisfy { $0.counts.pending == 0 })

            // An app deployed before its workers may enqueue anyway.
            let early = try await client.submit(NotDeployed.self, .init(), options: .init(queue: "later", allowUnknownType: true))
            #expect(try await early.info().state == .pending)
        }
    }

    @Test func unreachableRedisIsATypedErrorNotAHang() async throws {
        await #expect {
            try OffloadClient(redisURL: "http://nowhere")
        } throws: { ($0 as? OffloadError)?.code == .invalid }

        let client = try OffloadClient(redisURL: "redis://127.0.0.1:\(try FreePort.next())")
        await #expect {
            try await client.submit(CountPrimes.self, .init(below: 10), options: .init(allowUnknownType: true))
        } throws: { ($0 as? OffloadError)?.code == .unavailable }
        let handle = client.handle(forJob: "default.01JZ0000000000000000000000", as: CountPrimes.self)
        await #expect {
            try await handle.result(timeout: .seconds(1))
        } throws: { error in
            guard case .offload(let cause) = error as? JobResultError else { return false }
            return cause.code == .unavailable
        }
        await client.shutdown()
    }
}
