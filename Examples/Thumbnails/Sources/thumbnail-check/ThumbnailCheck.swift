import ArgumentParser
import Foundation
import Offload
import ThumbnailJobs

/// `thumbnail-check`: the example end to end, against a running Redis, `offload-api`,
/// `thumbnail-app` and `thumbnail-worker`. Every result is compared with
/// `Thumbnail.render` computed here, so a wrong or stale worker cannot pass.
@main
struct ThumbnailCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail-check",
        abstract: "Submit thumbnails from Swift, through the app and over Offload's HTTP API; check every result."
    )

    @Option(name: .long, help: "Redis URL of the stack under test.")
    var redisURL: String

    @Option(name: .long, help: "Base URL of thumbnail-app, e.g. http://127.0.0.1:8081.")
    var appURL: String

    @Option(name: .long, help: "Base URL of offload-api, e.g. http://127.0.0.1:8080.")
    var apiURL: String

    @Option(name: .long, help: "Typed jobs to submit from Swift: half in one batch, half one by one.")
    var jobs = 200

    @Option(name: .long, help: "Longest wait for any one result, in seconds.")
    var timeoutSeconds = 120

    func validate() throws {
        guard jobs >= 2 else { throw ValidationError("--jobs must be at least 2") }
        guard timeoutSeconds >= 1 else { throw ValidationError("--timeout-seconds must be at least 1") }
    }

    func run() async throws {
        let offload = try OffloadClient(redisURL: redisURL)
        do {
            try await checkTypedSubmits(offload)
            try await checkAppSubmit()
            try await checkAPISubmit()
            try await checkDashboard()
        } catch {
            await offload.shutdown()
            throw error
        }
        await offload.shutdown()
        print("example: \(jobs) typed results checked, app and HTTP API submits completed")
    }

    // MARK: Steps

    /// Typed submits from Swift, half in one `submitBatch`, half as concurrent `submit`s;
    /// then every typed result, awaited at once.
    func checkTypedSubmits(_ offload: OffloadClient) async throws {
        let inputs = (0..<jobs).map(Self.input)
        let batched = Array(inputs.prefix(jobs / 2))
        var handles: [(Thumbnail.Input, JobHandle<Thumbnail.Output>)] = []
        for (input, outcome) in zip(batched, try await offload.submitBatch(Thumbnail.self, batched)) {
            switch outcome {
            case .success(let handle): handles.append((input, handle))
            case .failure(let error): throw CheckFailure("the batch refused \(input): \(error)")
            }
        }
        try await withThrowingTaskGroup(of: (Thumbnail.Input, JobHandle<Thumbnail.Output>).self) { group in
            for input in inputs.dropFirst(jobs / 2) {
                group.addTask {
                    do {
                        return (input, try await offload.submit(Thumbnail.self, input))
                    } catch {
                        throw CheckFailure("submit of \(input) refused: \(error)")
                    }
                }
            }
            for try await submitted in group { handles.append(submitted) }
        }

        let timeout = Duration.seconds(timeoutSeconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (input, handle) in handles {
                group.addTask {
                    let output: Thumbnail.Output
                    do {
                        output = try await handle.result(timeout: timeout)
                    } catch {
                        throw CheckFailure("typed job \(handle.id) for \(input): \(error)")
                    }
                    let expected = Thumbnail.render(input)
                    guard output == expected else {
                        throw CheckFailure("typed job \(handle.id) for \(input) returned \(output), expected \(expected)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// One thumbnail through the app's own routes: POST, then GET until it is done.
    func checkAppSubmit() async throws {
        let input = Thumbnail.Input(width: 256, seed: 2024)
        let submitted = try await http.post("\(appURL)/thumbnails", json: input).decode(Submitted.self, expecting: 202)
        let output = try await poll("the app's job \(submitted.id)") { wait in
            let answer = try await http.get("\(appURL)/thumbnails/\(submitted.id)?wait=\(wait)")
            // 202: not finished within the wait, ask again.
            return answer.status == 202 ? nil : try answer.decode(Thumbnail.Output.self, expecting: 200)
        }
        try expect(output, for: input, job: "the app's job \(submitted.id)")
    }

    /// One thumbnail over Offload's own HTTP API, as any language's client submits it.
    func checkAPISubmit() async throws {
        let input = Thumbnail.Input(width: 192, seed: 77)
        let submit = APISubmit(type: Thumbnail.name, payload: input)
        let submitted = try await http.post("\(apiURL)/v1/jobs", json: submit).decode(Submitted.self, expecting: 202)
        let output = try await poll("the API's job \(submitted.id)") { wait in
            let job = try await http.get("\(apiURL)/v1/jobs/\(submitted.id)?wait=\(wait)").decode(APIJob.self, expecting: 200)
            switch job.state {
            case "completed":
                guard let result = job.result else { throw CheckFailure("the API's job \(submitted.id) completed without a result") }
                return result
            case "dead", "cancelled":
                throw CheckFailure("the API's job \(submitted.id) ended \(job.state): \(job.error.map { "\($0.type): \($0.message)" } ?? "no error")")
            default:
                return nil
            }
        }
        try expect(output, for: input, job: "the API's job \(submitted.id)")
    }

    /// The dashboard's page, mounted in the app under /offload.
    func checkDashboard() async throws {
        let page = try await http.get("\(appURL)/offload/")
        guard page.status == 200, page.body.contains(#"data-base="/offload""#) else {
            throw CheckFailure("GET \(appURL)/offload/ answered \(page.status) without the dashboard: \(page.body.prefix(200))")
        }
    }

    // MARK: Helpers

    private var http: JSONHTTP { JSONHTTP(timeout: .seconds(Int64(timeoutSeconds))) }

    /// Sizes from 16 to 128 pixels; seeds over all 64 bits, which Swift's JSON keeps exact.
    static func input(_ index: Int) -> Thumbnail.Input {
        Thumbnail.Input(width: 16 + index * 37 % 113, seed: UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    private func expect(_ output: Thumbnail.Output, for input: Thumbnail.Input, job: String) throws {
        let expected = Thumbnail.render(input)
        guard output == expected else { throw CheckFailure("\(job) for \(input) returned \(output), expected \(expected)") }
    }

    /// Asks `attempt` (with the seconds it may hold its request) until it returns a value
    /// or `--timeout-seconds` have passed.
    private func poll<T>(_ what: String, _ attempt: (Int) async throws -> T?) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeoutSeconds)
        while clock.now < deadline {
            let remaining = Int((deadline - clock.now).components.seconds)
            if let value = try await attempt(max(0, min(10, remaining))) { return value }
            // Only a wait of 0 comes back at once; do not spin on it.
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CheckFailure("\(what) had not finished after \(timeoutSeconds) s")
    }
}

/// A check that did not hold: the message says what was expected and what came.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The answer to a submit, from the app and from Offload's API alike.
struct Submitted: Decodable {
    let id: String
}

/// The body of `POST /v1/jobs`.
struct APISubmit: Encodable {
    let type: String
    let payload: Thumbnail.Input
}

/// The fields of `GET /v1/jobs/{id}` the check reads.
struct APIJob: Decodable {
    let state: String
    let result: Thumbnail.Output?
    let error: JobError?
}
