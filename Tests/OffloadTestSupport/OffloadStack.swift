import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OffloadRedis

/// The built executables (`make test` exports OFFLOAD_BIN_DIR; else the debug folder).
package enum OffloadBinaries {
    package static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["OFFLOAD_BIN_DIR"] { return dir }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    package static func path(_ name: String) -> String { directory + "/" + name }
}

/// A real Offload stack for end-to-end tests: offload-api and offload-worker processes
/// on loopback, against a Redis the test chooses, under a key prefix of their own.
package final class OffloadStack: @unchecked Sendable {
    package let redisURL: String
    package let keyPrefix: String
    /// Chosen free when the stack is made; another when the API finds it taken by then.
    package private(set) var apiPort: Int
    package private(set) var api: ChildProcess?
    package private(set) var workers: [ChildProcess] = []
    package let http: HTTPClient

    package var baseURL: String { "http://127.0.0.1:\(apiPort)" }

    package init(redisURL: String, keyPrefix: String = TestRedis.uniquePrefix("e2e")) throws {
        self.redisURL = redisURL
        self.keyPrefix = keyPrefix
        self.apiPort = try FreePort.next()
        self.http = HTTPClient.shared
    }

    /// Starts offload-api and waits until it has bound its port and answers. A free port can
    /// be taken by another test's listener between being chosen and the API binding it (a
    /// fake Redis that never answers, once): the API then exits, and starts again on
    /// another port.
    package func startAPI(environment: [String: String] = [:]) async throws {
        for _ in 0..<5 {
            let api = try ChildProcess(
                OffloadBinaries.path("offload-api"),
                ["--port", "\(apiPort)", "--redis-url", redisURL, "--key-prefix", keyPrefix],
                // The "listening" line below is logged at info.
                environment: ["LOG_LEVEL": "info"].merging(environment) { _, given in given })
            self.api = api
            for _ in 0..<500 {
                guard api.isRunning else { break }
                // Its own log says it bound the port, so the answer is not another listener's.
                if api.output.contains("offload-api listening"),
                    let response = try? await request("GET", "/healthz", timeout: .seconds(1)), response.status == 200
                {
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            guard !api.isRunning, api.output.contains("Address already in use") else {
                throw TestSupportError("offload-api did not start:\n\(api.output)")
            }
            apiPort = try FreePort.next()
        }
        throw TestSupportError("offload-api found no free port in 5 tries")
    }

    /// Starts one worker supervisor; returns it so tests can signal it.
    @discardableResult
    package func startWorker(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ChildProcess {
        let worker = try ChildProcess(
            OffloadBinaries.path("offload-worker"),
            ["--redis-url", redisURL, "--key-prefix", keyPrefix, "--enable-test-jobs"] + arguments, environment: environment)
        workers.append(worker)
        return worker
    }

    package struct HTTPResult: Sendable {
        package let status: Int
        package let headers: [(String, String)]
        package let body: Data

        package var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        package var object: [String: Any] { json as? [String: Any] ?? [:] }
        package var text: String { String(decoding: body, as: UTF8.self) }
        package func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    package func request(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(data: body))
            if headers["Content-Type"] == nil { request.headers.add(name: "Content-Type", value: "application/json") }
        }
        let response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return HTTPResult(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Data(buffer: bytes))
    }

    package func post(_ path: String, json: Any, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await request("POST", path, body: try JSONSerialization.data(withJSONObject: json), headers: headers)
    }

    package func get(_ path: String) async throws -> HTTPResult {
        try await request("GET", path)
    }

    /// Polls a job until it reaches a finished state or the time is up.
    package func waitForJob(_ id: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let job = try await get("/v1/jobs/\(id)").object
            if let state = job["state"] as? String, ["completed", "dead", "cancelled"].contains(state) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("job \(id) did not finish in \(timeout): \(try await get("/v1/jobs/\(id)").text)")
    }

    package func stop() async {
        for worker in workers { await worker.stop(grace: .seconds(10)) }
        await api?.stop()
    }

    /// Process output, for failure messages.
    package var logs: String {
        ([api].compactMap { $0 } + workers).map { "--- \($0.logPath)\n\($0.output.suffix(3000))" }.joined(separator: "\n")
    }
}
