import Hummingbird
import Offload
import ThumbnailJobs

/// The app's own routes: submit a thumbnail, then read its result. Each answer is JSON.
struct ThumbnailRoutes<Context: RequestContext> {
    let offload: OffloadClient

    /// The longest `?wait=` a reader may ask for.
    static var maxWaitSeconds: Int { 60 }
    /// The wait when a reader asks none.
    static var defaultWaitSeconds: Int { 10 }

    func register(on router: Router<Context>) {
        router.post("thumbnails", use: submit)
        router.get("thumbnails/{id}", use: result)
    }

    /// `POST /thumbnails` with `{"width": 256, "seed": 42}`: 202 with the job's `id`.
    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let input = try await request.decode(as: Thumbnail.Input.self, context: context)
        // Refused here rather than left to the worker, so the caller learns of it at once.
        guard Thumbnail.widths.contains(input.width) else {
            let bounds = "\(Thumbnail.widths.lowerBound) and \(Thumbnail.widths.upperBound)"
            let problem = Problem(error: "invalid_argument", message: "width must be between \(bounds)")
            return try answer(.unprocessableContent, problem, request, context)
        }
        let job: JobHandle<Thumbnail.Output>
        do throws(OffloadError) {
            job = try await offload.submit(Thumbnail.self, input)
        } catch {
            return try answer(error, request, context)
        }
        return try answer(.accepted, Submitted(id: job.id), request, context)
    }

    /// `GET /thumbnails/{id}[?wait=seconds]`: 200 with the output once the job completed,
    /// 202 with its state while it has not finished by the end of the wait.
    @Sendable func result(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        var wait = Self.defaultWaitSeconds
        if let text = request.uri.queryParameters["wait"] {
            guard let seconds = Int(text), (0...Self.maxWaitSeconds).contains(seconds) else {
                let problem = Problem(error: "invalid_argument", message: "wait must be 0 to \(Self.maxWaitSeconds) seconds")
                return try answer(.badRequest, problem, request, context)
            }
            wait = seconds
        }
        let job = offload.handle(forJob: id, as: Thumbnail.self)
        let output: Thumbnail.Output
        do throws(JobResultError) {
            output = try await job.result(timeout: .seconds(wait))
        } catch {
            switch error {
            case .timedOut(let state):
                return try answer(.accepted, Pending(id: id, state: state.rawValue), request, context)
            case .failed(let failure):
                let problem = Problem(error: "failed", message: "\(failure.type): \(failure.message)")
                return try answer(.unprocessableContent, problem, request, context)
            case .cancelled:
                return try answer(.conflict, Problem(error: "cancelled", message: error.description), request, context)
            case .undecodableOutput:
                // A worker built with another version of `Thumbnail` wrote it.
                return try answer(.badGateway, Problem(error: "undecodable_output", message: error.description), request, context)
            case .offload(let offloadError):
                return try answer(offloadError, request, context)
            }
        }
        return try answer(.ok, output, request, context)
    }

    /// Offload's errors as answers: the app's view of them, not the engine's.
    private func answer(_ error: OffloadError, _ request: Request, _ context: Context) throws -> Response {
        let status: HTTPResponse.Status
        switch error.code {
        case .notFound: status = .notFound
        case .invalid: status = .unprocessableContent
        // No worker has published the type yet, the queue is full or Redis is down: all
        // pass, so the caller should try again later.
        case .unavailable, .unknownJobType, .queueFull: status = .serviceUnavailable
        default: status = .internalServerError
        }
        var headers = HTTPFields()
        if status == .serviceUnavailable { headers[.retryAfter] = String(error.retryAfterSeconds ?? 1) }
        let problem = Problem(error: error.code.rawValue, message: error.message)
        return try EditedResponse(status: status, headers: headers, response: problem).response(from: request, context: context)
    }

    private func answer(
        _ status: HTTPResponse.Status, _ body: some ResponseEncodable, _ request: Request, _ context: Context
    ) throws -> Response {
        try EditedResponse(status: status, response: body).response(from: request, context: context)
    }
}

/// The answer to a submit.
struct Submitted: ResponseEncodable {
    let id: String
}

/// A finished thumbnail is answered as the job's output, exactly as the worker returned it.
extension Thumbnail.Output: ResponseEncodable {}

/// A job not finished yet: ask again.
struct Pending: ResponseEncodable {
    let id: String
    let state: String
}

/// Why there is no thumbnail: a code a program can test, a message for people.
struct Problem: ResponseEncodable {
    let error: String
    let message: String
}
