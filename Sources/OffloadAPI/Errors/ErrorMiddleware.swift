import Foundation
import Hummingbird
import Logging
import OffloadCore

/// The one place errors become HTTP responses: `{"error": {"code", "message"}}` with the
/// status of the error's code. Input errors and Redis outages are never a 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let response = Self.response(for: error, logger: context.logger)
            // The answer to HEAD is the head alone (RFC 9110 §9.3.2): NIO refuses a body there.
            return request.method == .head ? response.createHeadResponse() : response
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as OffloadError:
            if error.code == .internalError {
                logger.error("internal error", metadata: ["error": "\(error.message)"])
            }
            return response(for: error)
        case let error as MethodNotAllowed:
            let message = "\(error.method.rawValue.prefix(32)) is not allowed here; allowed: \(error.allowHeader)"
            return response(for: OffloadError(.methodNotAllowed, message), headers: [.allow: error.allowHeader])
        case let error as HTTPError:
            return response(for: OffloadError(code(for: error.status), error.body ?? error.status.reasonPhrase))
        case let error as any HTTPResponseError:
            return response(for: OffloadError(code(for: error.status), "\(error)"))
        default:
            logger.error("unhandled error", metadata: ["error": "\(error)"])
            return response(for: OffloadError(.internalError, "internal error"))
        }
    }

    static func status(for code: OffloadError.Code) -> HTTPResponse.Status {
        switch code {
        case .malformed: return .badRequest
        case .invalid, .unknownJobType: return .unprocessableContent
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict, .leaseLost: return .conflict
        case .queueFull: return .tooManyRequests
        case .unauthorized: return .unauthorized
        case .payloadTooLarge: return .contentTooLarge
        case .unavailable: return .serviceUnavailable
        case .internalError: return .internalServerError
        }
    }

    /// Hummingbird's own errors (no route, wrong method, body too large) by status.
    static func code(for status: HTTPResponse.Status) -> OffloadError.Code {
        switch status.code {
        case 404: return .notFound
        case 401: return .unauthorized
        case 413: return .payloadTooLarge
        case 405: return .methodNotAllowed
        case 409: return .conflict
        case 422: return .invalid
        case 400..<500: return .malformed
        default: return .internalError
        }
    }

    static func response(for error: OffloadError, headers extraHeaders: HTTPFields = [:]) -> Response {
        let body = ErrorBody(error: .init(code: error.code.rawValue, message: error.message))
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extraHeaders)
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        let data = (try? OffloadJSON.compact.encode(body)) ?? Data()
        return Response(status: status(for: error.code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

struct ErrorBody: Codable {
    struct Detail: Codable {
        let code: String
        let message: String
    }

    let error: Detail
}
