import Hummingbird
import Logging
import NIOHTTP1
import Offload

/// The one place errors become HTTP responses: every error is made an ``APIError`` and
/// answered as `{"error": {"code", "message", "field"?}}` with its status. Input errors
/// and Redis outages are never a 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let response = Self.apiError(for: error, logger: context.logger).response()
            // The answer to HEAD is the head alone (RFC 9110 §9.3.2): NIO refuses a body there.
            return request.method == .head ? response.createHeadResponse() : response
        }
    }

    static func apiError(for error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as OffloadError:
            if error.code == .internalError {
                logger.error("internal error", metadata: ["error": "\(error.message)"])
            }
            return APIError(error)
        case let error as MethodNotAllowed:
            return error.apiError
        case let error as any HTTPResponseError:
            // Hummingbird's own: no route, body too large, a bad request.
            return apiError(forStatus: error.status, message: (error as? HTTPError)?.body ?? "\(error)")
        default:
            logger.error("unhandled error", metadata: ["error": "\(error)"])
            return APIError(OffloadError(.internalError, "internal error"))
        }
    }

    /// Hummingbird's errors by status.
    static func apiError(forStatus status: HTTPResponse.Status, message: String) -> APIError {
        switch status.code {
        case 404: return APIError(.notFound, message)
        case 401: return APIError(.unauthorized, message)
        case 413: return APIError(.payloadTooLarge, message)
        case 405: return APIError(.methodNotAllowed, message)
        case 409: return APIError(OffloadError(.conflict, message))
        case 422: return APIError(invalidBody: message, field: nil)
        case 400..<500: return APIError(.malformed, message)
        default: return APIError(OffloadError(.internalError, message))
        }
    }
}

/// API errors tell their status through `HTTPResponseError`, so the middleware they pass on
/// their way to `ErrorMiddleware` (metrics, which label each request with its status) sees
/// the status the client gets, not a 500.
extension APIError: HTTPResponseError {
    func response(from request: Request, context: some RequestContext) -> Response { response() }
}

/// The engine's errors as they reach the HTTP layer: with the status ``APIError`` maps
/// their code to.
extension OffloadError: HTTPResponseError {
    /// The HTTP status of the error's code.
    public var status: HTTPResponse.Status { APIError(self).status }

    /// The JSON error body, `{"error": {"code", "message", "field"?}}`, with `Retry-After` when set.
    public func response(from request: Request, context: some RequestContext) -> Response {
        APIError(self).response()
    }
}

/// A request NIO's HTTP parser refuses, answered by `HTTP1ConnectionHandler` before any
/// route runs. The URI counts against the same limit as the header fields, and the parser
/// reports both as `headerOverflow`, so a URI that is too long is a 431 as well.
extension HTTPParserError {
    var apiError: APIError {
        switch self {
        case .invalidMethod:
            return APIError(.malformed, "the request method is not one this server implements", status: .notImplemented)
        case .headerOverflow:
            return APIError(.malformed, "the request line and header fields exceed 80 KB", status: .requestHeaderFieldsTooLarge)
        default:
            return APIError(.malformed, "the request is not valid HTTP/1.1")
        }
    }
}

extension MethodNotAllowed: HTTPResponseError {
    var status: HTTPResponse.Status { .methodNotAllowed }

    func response(from request: Request, context: some RequestContext) -> Response { apiError.response() }

    var apiError: APIError {
        let message = "\(method.rawValue.prefix(32)) is not allowed here; allowed: \(allowHeader)"
        return APIError(.methodNotAllowed, message, headers: [.allow: allowHeader])
    }
}
