import Foundation
import Hummingbird
import OffloadCore

/// `/v1/jobs`: submit and read jobs.
struct JobRoutes<Context: RequestContext>: Sendable {
    let broker: Broker
    let inspector: Inspector
    let catalog: JobTypeCatalog
    let maxBodyBytes: Int

    func register(on router: Router<Context>) {
        let jobs = router.group("v1/jobs")
        jobs.post(use: submit)
        jobs.get("{id}", use: get)
    }

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let body = try await collectBody(request, context: context)
        let submitRequest = try RequestDecoding.decode(SubmitRequest.self, from: body.readableBytesView)
        let idempotencyKey = request.headers[.init("Idempotency-Key")!]
        let submission = try submitRequest.submission(idempotencyKey: idempotencyKey)
        try submission.validate()
        try await catalog.requireKnown(submission.type)
        let submitted = try await broker.submit(submission)
        return try JSONResponse.make(SubmitResponse(id: submitted.id, state: submitted.state), status: submitted.created ? .accepted : .ok)
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        return try JSONResponse.make(try await inspector.job(id))
    }

    private func collectBody(_ request: Request, context: Context) async throws(OffloadError) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw OffloadError(.payloadTooLarge, "the body is larger than \(maxBodyBytes) bytes")
        }
    }
}

struct SubmitResponse: Codable {
    let id: String
    let state: JobState
}
