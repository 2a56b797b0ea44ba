import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and absurd input against a real offload-api: every answer is a 4xx with the
/// JSON error shape, never a 5xx, and the API keeps serving afterwards.
@Suite(.timeLimit(.minutes(2))) struct BadInputTests {
    static let maxBody = 65_536

    static func readyStack() async throws -> OffloadStack {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        try await stack.startAPI(environment: ["OFFLOAD_MAX_BODY_BYTES": "\(maxBody)"])
        try stack.startWorker(["--processes", "1", "--concurrency", "1"])
        let inspector = Inspector(broker: Broker(redis: try TestRedis.makeClient(), settings: stack.settings))
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.noop") }
        return stack
    }

    /// A 4xx whose body is `{"error": {"code": String, "message": String}}`.
    static func expectClientError(
        _ response: OffloadStack.HTTPResult, _ what: String, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect((400..<500).contains(response.status), "\(what): HTTP \(response.status) \(response.text.prefix(300))", sourceLocation: sourceLocation)
        if let status { #expect(response.status == status, "\(what): \(response.text.prefix(300))", sourceLocation: sourceLocation) }
        let error = response.object["error"] as? [String: Any]
        #expect(error?["code"] is String, "\(what): no error code in \(response.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(error?["message"] is String, "\(what): no error message", sourceLocation: sourceLocation)
        #expect(response.header("content-type")?.hasPrefix("application/json") == true, "\(what)", sourceLocation: sourceLocation)
    }

    static func expectStillServing(_ stack: OffloadStack) async throws {
        #expect(try await stack.get("/healthz").status == 200)
        let submitted = try await stack.post("/v1/jobs", json: ["type": "test.noop"])
        #expect(submitted.status == 202, "\(submitted.text)")
        let id = try #require(submitted.object["id"] as? String)
        #expect(try await stack.waitForJob(id)["state"] as? String == "completed")
        #expect(stack.api?.isRunning == true, "offload-api is still running")
    }

    @Test func deeplyNestedJSON() async throws {
        let stack = try await Self.readyStack()
        let depth = 10_000
        let arrays = #"{"type": "test.noop", "payload": {"a": "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}"
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(arrays.utf8)), "10,000 nested arrays")
        let objects = #"{"type": "test.noop", "payload": "# + String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth) + "}"
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(objects.utf8)), "10,000 nested objects")
        let batch = #"{"jobs": ["# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "]}"
        Self.expectClientError(try await stack.request("POST", "/v1/jobs/batch", body: Data(batch.utf8)), "nested arrays in a batch")
        // Unbalanced: 10,000 openings and nothing else.
        let open = String(repeating: "[", count: depth)
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(open.utf8)), "unbalanced nesting", status: 400)
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    @Test func hugeStringsJustUnderAndOverTheBodyLimit() async throws {
        let stack = try await Self.readyStack()
        func body(size: Int) -> Data {
            let head = #"{"type": "test.noop", "payload": {"s": ""#
            let tail = #""}}"#
            return Data((head + String(repeating: "x", count: size - head.utf8.count - tail.utf8.count) + tail).utf8)
        }
        let under = try await stack.request("POST", "/v1/jobs", body: body(size: Self.maxBody))
        #expect(under.status == 202, "a body of exactly the limit is accepted: \(under.text.prefix(300))")
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: body(size: Self.maxBody + 1)), "one byte over", status: 413)
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: body(size: Self.maxBody * 16)), "16 times over", status: 413)
        Self.expectClientError(
            try await stack.request("POST", "/v1/jobs/batch", body: body(size: Self.maxBody + 1)), "batch over the limit", status: 413)
        // A huge job type name inside the limit: invalid, not an error of the server.
        let longType = #"{"type": ""# + String(repeating: "t", count: Self.maxBody - 100) + #""}"#
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(longType.utf8)), "huge type", status: 422)
        let longQueue = #"{"type": "test.noop", "queue": ""# + String(repeating: "q", count: 10_000) + #""}"#
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(longQueue.utf8)), "huge queue", status: 422)
        let longKey = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": String(repeating: "k", count: 10_000)])
        Self.expectClientError(longKey, "10 KB idempotency key", status: 422)
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    @Test func nonUTF8BytesInTheBodyAndInTheID() async throws {
        let stack = try await Self.readyStack()
        var bytes = Data(#"{"type": "test.noop", "payload": {"s": ""#.utf8)
        bytes.append(contentsOf: [0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x00])
        bytes.append(Data(#""}}"#.utf8))
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: bytes), "invalid UTF-8 in a string")
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data([0xFF, 0xFE, 0xFD])), "a body of garbage bytes", status: 400)
        var typeBytes = Data(#"{"type": "test."#.utf8)
        typeBytes.append(contentsOf: [0xC0, 0xAF])
        typeBytes.append(Data(#""}"#.utf8))
        Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: typeBytes), "invalid UTF-8 in the type")

        // Sent byte for byte: URL types in HTTP clients would decode or drop these paths.
        for path in ["/v1/jobs/%FF%FE%FD", "/v1/jobs/default.%C0%AF", "/v1/jobs/%00", "/v1/jobs/default.%ED%A0%80x"] {
            for (method, target) in [("GET", path), ("DELETE", path), ("POST", path + "/retry")] {
                let reply = try Self.rawRequest(
                    port: stack.apiPort, Array("\(method) \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                #expect(reply.hasPrefix("HTTP/1.1 4"), "\(method) \(target): \(reply.prefix(120))")
                #expect(reply.lowercased().contains("content-type: application/json"), "\(method) \(target) answers JSON")
            }
        }
        // Raw non-UTF-8 bytes in the request line, which no URL type would let through.
        let raw = try Self.rawRequest(port: stack.apiPort, Array("GET /v1/jobs/default.".utf8) + [0xFF, 0x80, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        #expect(raw.hasPrefix("HTTP/1.1 4"), "raw non-UTF-8 path: \(raw.prefix(200))")
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    @Test func hugeIDs() async throws {
        let stack = try await Self.readyStack()
        let hugeID = "default." + String(repeating: "A", count: 10_240)
        Self.expectClientError(try await stack.get("/v1/jobs/\(hugeID)"), "10 KB id", status: 404)
        Self.expectClientError(try await stack.get("/v1/jobs/\(hugeID)?wait=1"), "10 KB id with wait", status: 404)
        Self.expectClientError(try await stack.request("DELETE", "/v1/jobs/\(hugeID)"), "cancel a 10 KB id")
        Self.expectClientError(try await stack.request("POST", "/v1/jobs/\(hugeID)/retry"), "retry a 10 KB id")
        Self.expectClientError(try await stack.get("/v1/jobs/\(hugeID)/events"), "events of a 10 KB id")
        let hugeQueueID = String(repeating: "q", count: 10_240) + ".01M88ZFP3J1NK2J7A03ZEEYF1W"
        Self.expectClientError(try await stack.get("/v1/jobs/\(hugeQueueID)"), "10 KB queue part")
        Self.expectClientError(try await stack.get("/v1/jobs?queue=\(String(repeating: "q", count: 10_240))&state=pending"), "10 KB queue name in a list")
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    @Test func negativeAndAbsurdNumbers() async throws {
        let stack = try await Self.readyStack()
        let bodies: [(String, String)] = [
            ("priority 1e300", #"{"type": "test.noop", "priority": 1e300}"#),
            ("priority -1e300", #"{"type": "test.noop", "priority": -1e300}"#),
            ("priority 1.5", #"{"type": "test.noop", "priority": 1.5}"#),
            ("priority 2^63", #"{"type": "test.noop", "priority": 9223372036854775808}"#),
            ("max_attempts -1", #"{"type": "test.noop", "max_attempts": -1}"#),
            ("max_attempts 0", #"{"type": "test.noop", "max_attempts": 0}"#),
            ("max_attempts 2^64", #"{"type": "test.noop", "max_attempts": 18446744073709551616}"#),
            ("delay_seconds NaN string", #"{"type": "test.noop", "delay_seconds": "NaN"}"#),
            ("delay_seconds Infinity", #"{"type": "test.noop", "delay_seconds": Infinity}"#),
            ("delay_seconds NaN bare", #"{"type": "test.noop", "delay_seconds": NaN}"#),
            ("delay_seconds 1e400", #"{"type": "test.noop", "delay_seconds": 1e400}"#),
            ("delay_seconds -1", #"{"type": "test.noop", "delay_seconds": -1}"#),
            ("delay_seconds 1e300", #"{"type": "test.noop", "delay_seconds": 1e300}"#),
            ("timeout_seconds 2^63", #"{"type": "test.noop", "timeout_seconds": 9223372036854775808}"#),
            ("timeout_seconds 2^63-1", #"{"type": "test.noop", "timeout_seconds": 9223372036854775807}"#),
            ("timeout_seconds -1", #"{"type": "test.noop", "timeout_seconds": -1}"#),
            ("result_ttl_seconds -5", #"{"type": "test.noop", "result_ttl_seconds": -5}"#),
            ("result_ttl_seconds 2^63-1", #"{"type": "test.noop", "result_ttl_seconds": 9223372036854775807}"#),
            ("lease_ms 2^63-1", #"{"type": "test.noop", "lease_ms": 9223372036854775807}"#),
            ("lease_ms -1", #"{"type": "test.noop", "lease_ms": -1}"#),
            ("run_at year 99999", #"{"type": "test.noop", "run_at": "99999-01-01T00:00:00Z"}"#),
            ("run_at garbage", #"{"type": "test.noop", "run_at": "\u0000\uffff"}"#),
            ("payload a number", #"{"type": "test.noop", "payload": 1e999}"#),
            ("type a number", #"{"type": 12}"#),
        ]
        for (what, body) in bodies {
            Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(body.utf8)), what)
            let batch = #"{"jobs": ["# + body + "]}"
            let response = try await stack.request("POST", "/v1/jobs/batch", body: Data(batch.utf8))
            #expect((400..<500).contains(response.status), "batch with \(what): HTTP \(response.status) \(response.text.prefix(300))")
        }
        for query in ["wait=-1", "wait=1e300", "wait=99999999999999999999", "wait=NaN"] {
            Self.expectClientError(try await stack.get("/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W?\(query)"), "?\(query)")
        }
        for query in ["limit=-1", "limit=1e300", "cursor=-5", "cursor=99999999999999999999", "state=nope"] {
            Self.expectClientError(try await stack.get("/v1/jobs?queue=default&\(query)"), "list ?\(query)")
        }
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    /// Whole-number fields given a fraction or a number past 64 bits: valid JSON, so 422
    /// naming the field, on the submit fast path, in a batch and in queue settings alike.
    @Test func fractionsInWholeNumberFieldsNameTheField() async throws {
        let stack = try await Self.readyStack()
        let cases: [(method: String, path: String, body: String, message: String)] = [
            ("POST", "/v1/jobs", #"{"type":"test.noop","priority":2.5}"#, "field 'priority' must be a whole number"),
            ("POST", "/v1/jobs", #"{"type": "test.noop", "max_attempts": 1.5}"#, "field 'max_attempts' must be a whole number"),
            ("POST", "/v1/jobs", #"{"type": "test.noop", "lease_ms": 1e300}"#, "field 'lease_ms' is out of range"),
            ("POST", "/v1/jobs", #"{"type": "test.noop", "timeout_seconds": -9223372036854775809}"#, "field 'timeout_seconds' is out of range"),
            ("POST", "/v1/jobs/batch", #"{"jobs": [{"type": "test.noop"}, {"type": "test.noop", "priority": 0.5}]}"#,
             "field 'jobs[1].priority' must be a whole number"),
            ("POST", "/v1/jobs/batch", #"{"jobs": [{"type": "test.noop"}, {"type": 3}]}"#, "field 'jobs[1].type' has the wrong type"),
            ("PUT", "/v1/queues/default/settings", #"{"max_depth": 1.5}"#, "field 'max_depth' must be a whole number"),
            ("PUT", "/v1/queues/default/settings", #"{"dead_max_count": 1e20}"#, "field 'dead_max_count' is out of range"),
            ("POST", "/v1/jobs", "null", "the body must be a JSON object"),
            ("POST", "/v1/jobs", "[]", "the body must be a JSON object"),
            ("POST", "/v1/jobs", #""test.noop""#, "the body must be a JSON object"),
            ("POST", "/v1/jobs/batch", "[1]", "the body must be a JSON object"),
            ("PUT", "/v1/queues/default/settings", "null", "the body must be a JSON object"),
        ]
        for (method, path, body, message) in cases {
            let response = try await stack.request(method, path, body: Data(body.utf8))
            Self.expectClientError(response, "\(method) \(path) \(body)", status: 422)
            #expect((response.object["error"] as? [String: Any])?["message"] as? String == message, "\(body): \(response.text.prefix(300))")
        }
        // Whole numbers written as fractions or exponents are whole numbers.
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop", "priority": 2.0]).status == 202)
        #expect(try await stack.request("POST", "/v1/jobs", body: Data(#"{"type": "test.noop", "priority": 1e2}"#.utf8)).status == 202)
        for body in ["{", #"{"type": "test.noop", "priority": 2.5"#, #"{"type": 1.5.5}"#] {
            Self.expectClientError(try await stack.request("POST", "/v1/jobs", body: Data(body.utf8)), body, status: 400)
        }
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    /// A misspelt field is refused, naming it, instead of passing silently as the default.
    @Test func unknownFieldsAreRefusedByName() async throws {
        let stack = try await Self.readyStack()
        let submitFields = "type, payload, queue, priority, delay_seconds, run_at, max_attempts, timeout_seconds, result_ttl_seconds, lease_ms, allow_unknown_type, unique"
        let cases: [(method: String, path: String, body: String, message: String)] = [
            ("POST", "/v1/jobs", #"{"type": "test.noop", "max_attempt": 3}"#, "unknown field 'max_attempt'; the fields are \(submitFields)"),
            ("POST", "/v1/jobs/batch", #"{"jobs": [{"type": "test.noop"}, {"type": "test.noop", "prio": 5}]}"#,
             "unknown field 'jobs[1].prio'; the fields are \(submitFields)"),
            ("POST", "/v1/jobs/batch", #"{"jobs": [{"type": "test.noop"}], "queue": "mail"}"#, "unknown field 'queue'; the fields are jobs"),
            ("PUT", "/v1/queues/default/settings", #"{"max_dept": 10}"#,
             "unknown field 'max_dept'; the fields are max_depth, result_ttl_seconds, dead_max_count, dead_max_age_seconds"),
        ]
        for (method, path, body, message) in cases {
            let response = try await stack.request(method, path, body: Data(body.utf8))
            Self.expectClientError(response, "\(method) \(path) \(body)", status: 422)
            #expect((response.object["error"] as? [String: Any])?["message"] as? String == message, "\(body): \(response.text.prefix(300))")
        }
        #expect(try await stack.get("/v1/queues").object["queues"].map { "\($0)" }?.contains("max_depth") == false, "nothing was set")
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    /// What NIO's HTTP parser refuses before any route runs gets the JSON error too, with
    /// the status that says why.
    @Test func requestsTheParserRefusesGetAJSONError() async throws {
        let stack = try await Self.readyStack()
        let bigHeader = "X-Big: " + String(repeating: "a", count: 90_000) + "\r\n"
        let cases: [(what: String, request: String, status: Int)] = [
            ("unknown method", "FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            ("90 KB header", "GET /healthz HTTP/1.1\r\nHost: x\r\n\(bigHeader)\r\n", 431),
            ("100 KB path", "GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n", 431),
            ("bad version", "GET /healthz HTTP/1.x\r\nHost: x\r\n\r\n", 400),
            ("bad header line", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400),
        ]
        for (what, request, status) in cases {
            let reply = try Self.rawRequest(port: stack.apiPort, Array(request.utf8))
            #expect(reply.hasPrefix("HTTP/1.1 \(status) "), "\(what): \(reply.prefix(200))")
            let lowered = reply.lowercased()
            #expect(lowered.contains("content-type: application/json") && lowered.contains("connection: close"), "\(what): \(reply.prefix(300))")
            let body = reply.components(separatedBy: "\r\n\r\n").dropFirst().joined()
            let error = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "malformed_request" && error?["message"] is String, "\(what): \(body)")
        }
        // A request that is answered, then one the parser refuses, on one connection.
        let pair = try Self.rawRequest(port: stack.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nFOO / HTTP/1.1\r\n\r\n".utf8))
        #expect(pair.hasPrefix("HTTP/1.1 200 ") && pair.contains("HTTP/1.1 501 "), "\(pair)")
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    /// `Expect: 100-continue` is answered at once, so clients do not wait out their own timer
    /// (curl's is 1 s) before sending the body; HTTP/1.0 has no 1xx, so none is sent there.
    @Test func expectContinueIsAnswered() async throws {
        let stack = try await Self.readyStack()
        let body = #"{"type": "test.noop"}"#
        for version in ["1.1", "1.0"] {
            let connection = try RawConnection(port: stack.apiPort)
            connection.send(
                "POST /v1/jobs HTTP/\(version)\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                    + "Expect: 100-continue\r\n\r\n")
            // HTTP/1.1: the deadline only bounds a hang. HTTP/1.0: a short look for a 1xx that must not come.
            let interim = connection.receive(until: "\r\n\r\n", timeout: .milliseconds(version == "1.1" ? 30_000 : 300))
            if version == "1.1" {
                #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1: \(interim)")
            } else {
                #expect(interim.isEmpty, "HTTP/1.0 gets no 1xx: \(interim)")
            }
            connection.send(body)
            let final = connection.receive(until: #""state":"pending"}"#, timeout: .seconds(30))
            #expect(final.hasPrefix("HTTP/1.1 202 "), "HTTP/\(version): \(final.prefix(300))")
        }
        try await Self.expectStillServing(stack)
        await stack.stop()
    }

    /// Sends raw bytes over TCP and returns all that comes back until the server closes the
    /// connection (requests here say `Connection: close`, or are refused).
    static func rawRequest(port: Int, _ bytes: [UInt8]) throws -> String {
        let connection = try RawConnection(port: port)
        connection.send(bytes)
        return connection.receive(until: nil, timeout: .seconds(30))
    }
}

/// A TCP connection for bytes no HTTP client would send.
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        let connected = Loopback.withAddress(port: port) { connect(fd, $0, $1) }
        guard connected == 0 else {
            close(fd)
            throw TestSupportError("connect() failed")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }  // the server closed first, as it may for a refused request
            sent += count
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// What arrives until `marker` has arrived, the server closes, or `timeout` passes.
    func receive(until marker: String?, timeout: Duration) -> String {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            var wait = timeval(tv_sec: Int(left.components.seconds), tv_usec: Int(left.components.attoseconds / 1_000_000_000_000) + 1)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += buffer[..<count]
            if let marker, String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
