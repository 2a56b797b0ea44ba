import Foundation
import Hummingbird
import Offload
import ServiceLifecycle

/// `/v1/jobs`: submit, read, list, cancel and retry jobs.
struct JobRoutes<Context: RequestContext>: Sendable {
    let broker: Broker
    let inspector: Inspector
    let watcher: JobEventWatcher
    let maxBodyBytes: Int
    let metrics: APIMetrics
    /// An event stream silent for this long sends a comment line.
    let eventStreamKeepalive: Duration

    static var maxBatch: Int { 1000 }
    static var maxWaitSeconds: Int { 60 }

    func register(on routes: RouteTable<Context>) {
        let jobs = routes.group("v1/jobs")
        jobs.post(use: submit)
        jobs.get(use: list)
        jobs.post("batch", use: submitBatch)
        jobs.get("{id}", use: get)
        jobs.delete("{id}", use: cancel)
        jobs.post("{id}/retry", use: retry)
        jobs.get("{id}/events", use: events)
    }

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let body = try await collectBody(request)
        let submitRequest = try SubmitRequest.decode(body)
        let idempotencyKey = request.headers[.init("Idempotency-Key")!]
        let submission = try submitRequest.submission(idempotencyKey: idempotencyKey)
        let submitted = try await broker.submit(submission)
        if submitted.created { metrics.submitted(queue: submission.queue, type: submission.type) }
        return try SubmitResponse(submitted).response(status: submitted.created ? .accepted : .ok)
    }

    /// Up to 1,000 jobs in one Redis round trip; each gets its id or its own error.
    @Sendable func submitBatch(_ request: Request, context: Context) async throws -> Response {
        // Ignored, it would let a retried batch enqueue everything again unnoticed.
        guard request.headers[.init("Idempotency-Key")!] == nil else {
            throw OffloadError(invalid: "Idempotency-Key", "does not apply to batches; submit jobs that need one with POST /v1/jobs")
        }
        let body = try await collectBody(request)
        let batch = try RequestDecoding.decode(BatchSubmitRequest.self, from: body.readableBytesView)
        guard (1...Self.maxBatch).contains(batch.jobs.count) else {
            throw OffloadError(invalid: "jobs", "must hold 1 to \(Self.maxBatch) jobs")
        }
        var results = [BatchItemResult?](repeating: nil, count: batch.jobs.count)
        var submissions: [JobSubmission] = []
        var positions: [Int] = []
        for (index, item) in batch.jobs.enumerated() {
            do {
                submissions.append(try item.submission(idempotencyKey: nil))
                positions.append(index)
            } catch {
                results[index] = BatchItemResult(error: error)
            }
        }
        let outcomes = try await broker.submit(batch: submissions)
        var accepted = false
        var failures: [OffloadError] = []
        for ((position, submission), outcome) in zip(zip(positions, submissions), outcomes) {
            switch outcome {
            case .success(let job):
                if job.created { metrics.submitted(queue: submission.queue, type: submission.type) }
                results[position] = BatchItemResult(job)
                accepted = true
            case .failure(let error):
                results[position] = BatchItemResult(error: error)
                failures.append(error)
            }
        }
        let response = BatchSubmitResponse(jobs: results.map { $0! })
        if accepted { return try JSONResponse.make(response, status: .accepted) }
        return try Self.refusal(of: response, failures: failures)
    }

    /// A batch none of whose jobs was enqueued: 503 (or 429) with `Retry-After` when some
    /// failed for a reason that passes (Redis, a full queue), so a client retries it;
    /// 422 when only the jobs themselves are wrong.
    private static func refusal(of body: BatchSubmitResponse, failures: [OffloadError]) throws -> Response {
        let transient = failures.filter { $0.retryAfterSeconds != nil }
        let status: HTTPResponse.Status =
            if transient.contains(where: { $0.code == .unavailable }) { .serviceUnavailable }
            else if !transient.isEmpty { .tooManyRequests }
            else { .unprocessableContent }
        var response = try JSONResponse.make(body, status: status)
        if let seconds = transient.compactMap(\.retryAfterSeconds).max() { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    /// `?wait=N` holds the request (not a thread) until the job finishes or N seconds pass.
    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        let waitSeconds = try request.uri.queryParameters.get("wait").map { text throws(OffloadError) -> Int in
            guard let seconds = Int(text), (0...Self.maxWaitSeconds).contains(seconds) else {
                throw OffloadError(invalid: "wait", "must be a whole number of seconds from 0 to \(Self.maxWaitSeconds)")
            }
            return seconds
        }
        var job = try await inspector.job(id)
        if let waitSeconds, waitSeconds > 0, !job.state.isFinished {
            job = try await watcher.waitUntilFinished(job, timeout: .seconds(waitSeconds))
        }
        return try JSONResponse.make(job)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        let queue = query.get("queue") ?? "default"
        let stateText = query.get("state") ?? "pending"
        guard let state = JobState(rawValue: stateText) else {
            throw OffloadError(invalid: "state", "must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var limit = 50
        if let text = query.get("limit") {
            // The range is the engine's rule; only a number that is no number is refused here.
            guard let value = Int(text) else { throw OffloadError(invalid: "limit", "must be in \(Inspector.pageLimits)") }
            limit = value
        }
        return try JSONResponse.make(try await inspector.jobs(queue: queue, state: state, cursor: query.get("cursor"), limit: limit))
    }

    /// Waiting jobs are cancelled at once (200); a running one is asked to stop (202).
    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        let state = try await inspector.cancel(id)
        let body = CancelResponse(id: id, state: state, cancelRequested: state == .active)
        return try JSONResponse.make(body, status: state == .active ? .accepted : .ok)
    }

    @Sendable func retry(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        try await inspector.retry(id)
        return try SubmitResponse(id: id, state: .pending).response(status: .accepted)
    }

    /// Server-Sent Events: the job's current state, then progress and state changes as
    /// they happen, then the finished job, then the stream closes. While nothing happens a
    /// comment line goes out each keepalive interval, so proxies that cut silent
    /// connections (often after 60 s) leave the stream open.
    @Sendable func events(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        let initial = try await inspector.job(id)
        let watcher = self.watcher
        let inspector = self.inspector
        let keepalive = self.eventStreamKeepalive
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        headers[.init("X-Accel-Buffering")!] = "no"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await writer.write(ServerSentEvent.buffer(event: "state", json: initial))
                if !initial.state.isFinished {
                    // Events are produced in a task of their own, so SIGTERM can end a
                    // stream that would otherwise hold up the server's shutdown.
                    let (items, sink) = AsyncStream.makeStream(of: ServerSentEvent.Item.self)
                    let producer = Task {
                        defer { sink.finish() }
                        do {
                            for try await event in watcher.events(for: initial) {
                                switch event {
                                case .progress(let percent, let message):
                                    let progress = ProgressEvent(percent: percent, message: message)
                                    sink.yield(.event(try ServerSentEvent.buffer(event: "progress", json: progress)))
                                case .changed:
                                    sink.yield(.event(try ServerSentEvent.buffer(event: "state", json: try await inspector.job(id))))
                                }
                            }
                        } catch let error as OffloadError {
                            // The job was purged (not_found), or Redis stayed away: said as such,
                            // so a client does not take the `end` that follows for a finished job.
                            let body = ErrorBody(error: APIError(error).detail)
                            sink.yield(.event(try ServerSentEvent.buffer(event: "error", json: body)))
                        }
                    }
                    // Ticks a fifth of the interval apart, so a keepalive goes out once the
                    // stream has been silent for the interval (at most a fifth more).
                    let ticker = Task {
                        while !Task.isCancelled {
                            try await Delay.wait(keepalive / 5)
                            sink.yield(.tick)
                        }
                    }
                    defer {  // the client may have gone away
                        producer.cancel()
                        ticker.cancel()
                    }
                    try await withGracefulShutdownHandler {
                        var lastWrite = ContinuousClock.now
                        for await item in items {
                            switch item {
                            case .event(let buffer):
                                try await writer.write(buffer)
                                lastWrite = .now
                            case .tick:
                                guard ContinuousClock.now - lastWrite >= keepalive else { continue }
                                try await writer.write(ServerSentEvent.keepalive)
                                lastWrite = .now
                            }
                        }
                    } onGracefulShutdown: {
                        producer.cancel()
                    }
                }
                try await writer.write(ServerSentEvent.buffer(event: "end", json: ["id": id]))
                try await writer.finish(nil)
            })
    }

    private func collectBody(_ request: Request) async throws(APIError) -> ByteBuffer {
        try await RequestBody.collect(request, limit: maxBodyBytes)
    }
}

struct SubmitResponse: Codable {
    let id: String
    let state: JobState
    /// True when the job holds the submit's uniqueness key; absent otherwise.
    var duplicate: Bool? = nil

    init(id: String, state: JobState) {
        self.id = id
        self.state = state
    }

    init(_ job: SubmittedJob) {
        self.init(id: job.id, state: job.state)
        if job.duplicate { duplicate = true }
    }

    /// The answer of the submit hot path, written without the generic encoder: the bytes
    /// `JSONResponse.make(self)` would write (a test holds them equal) at a fraction of its
    /// cost. An id that would need escaping goes through the encoder.
    func response(status: HTTPResponse.Status) throws(OffloadError) -> Response {
        let plain = id.utf8.allSatisfy { (0x20...0x7E).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        guard plain, duplicate == nil else { return try JSONResponse.make(self, status: status) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(id.utf8.count + 32)
        buffer.writeStaticString(#"{"id":""#)
        buffer.writeString(id)
        buffer.writeStaticString(#"","state":""#)
        buffer.writeString(state.rawValue)
        buffer.writeStaticString(#""}"#)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}

struct CancelResponse: Codable {
    let id: String
    let state: JobState
    let cancelRequested: Bool

    enum CodingKeys: String, CodingKey {
        case id, state
        case cancelRequested = "cancel_requested"
    }
}

struct BatchSubmitRequest: Decodable {
    let jobs: [SubmitRequest]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONFieldKey.self)
        try container.refuseFields(notIn: ["jobs"])
        jobs = try container.decode([SubmitRequest].self, forKey: JSONFieldKey("jobs"))
    }
}

struct BatchItemResult: Codable {
    var id: String?
    var state: JobState?
    var duplicate: Bool?
    var error: ErrorDetail?

    init(_ job: SubmittedJob) {
        id = job.id
        state = job.state
        if job.duplicate { duplicate = true }
    }

    init(error: OffloadError) {
        self.error = APIError(error).detail
    }
}

struct BatchSubmitResponse: Codable {
    let jobs: [BatchItemResult]
}

struct ProgressEvent: Codable {
    let percent: Int
    let message: String
}

enum ServerSentEvent {
    /// What an event stream writes next: an event, or the tick of its keepalive interval.
    enum Item: Sendable {
        case event(ByteBuffer)
        case tick
    }

    /// A comment line: clients ignore it, proxies see the connection in use.
    static var keepalive: ByteBuffer { ByteBuffer(string: ": keepalive\n\n") }

    static func buffer<Value: Encodable>(event: String, json value: Value) throws -> ByteBuffer {
        let data = try OffloadJSON.compact.encode(value)
        var buffer = ByteBuffer()
        buffer.writeString("event: \(event)\ndata: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}
