import Foundation
import Offload

/// The job types a worker serves, by name. Handlers are stored type-erased: JSON in,
/// JSON out, and whether they need a thread.
package struct JobRegistry: Sendable {
    enum Execution: Sendable {
        case cpu(@Sendable (String, JobContext) throws -> String)
        case io(@Sendable (String, JobContext) async throws -> String)
    }

    struct Handler: Sendable {
        let execution: Execution
        let defaultTimeoutSeconds: Int?
    }

    private(set) var handlers: [String: Handler] = [:]

    package init() {}

    /// The given jobs, and with `includeDiagnostics` the `test.*` ones too.
    package init(jobs: [any RunnableJob], includeDiagnostics: Bool) throws(WorkerConfigurationError) {
        for job in jobs + (includeDiagnostics ? DiagnosticJobs.all : []) {
            guard Validation.isJobTypeName(type(of: job).name) else {
                throw WorkerConfigurationError("job type name '\(type(of: job).name)' must be 1-128 characters of letters, digits, '_', '-', '.', ':'")
            }
            try add(job)
        }
    }

    package var names: [String] { handlers.keys.sorted() }

    /// Registers a ``CPUJob`` or an ``IOJob``; a later job of the same name replaces it.
    package mutating func add(_ job: any RunnableJob) throws(WorkerConfigurationError) {
        if let job = job as? any CPUJob {
            register(job)
        } else if let job = job as? any IOJob {
            register(job)
        } else {
            throw WorkerConfigurationError("\(type(of: job)) must conform to CPUJob or IOJob to run")
        }
    }

    package mutating func register<Job: CPUJob>(_ job: Job) {
        handlers[Job.name] = Handler(
            execution: .cpu { payload, context in
                let output = try job.run(try Self.decode(Job.Input.self, payload), context: context)
                return try Self.encode(output)
            },
            defaultTimeoutSeconds: Job.defaultTimeoutSeconds)
    }

    package mutating func register<Job: IOJob>(_ job: Job) {
        handlers[Job.name] = Handler(
            execution: .io { payload, context in
                let output = try await job.run(try Self.decode(Job.Input.self, payload), context: context)
                return try Self.encode(output)
            },
            defaultTimeoutSeconds: Job.defaultTimeoutSeconds)
    }

    func handler(for type: String) -> Handler? { handlers[type] }

    private static func decode<Input: Decodable>(_ type: Input.Type, _ payload: String) throws -> Input {
        do {
            return try JSONDecoder().decode(Input.self, from: Data(payload.utf8))
        } catch {
            throw PermanentJobError("invalid payload: \(error)")
        }
    }

    private static func encode<Output: Encodable>(_ output: Output) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
