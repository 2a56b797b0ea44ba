import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import Offload

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
            return error.response()
        case let error as MethodNotAllowed:
            return error.response()
        case let error as HTTPError:
            return OffloadError(code(for: error.status), error.body ?? error.status.reasonPhrase).response()
        case let error as any HTTPResponseError:
            return OffloadError(code(for: error.status), "\(error)").response()
        default:
            logger.error("unhandled error", metadata: ["error": "\(error)"])
            return OffloadError(.internalError, "internal error").response()
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
}

/// Offload's errors tell their status through `HTTPResponseError`, so the middleware they
/// pass on their way to `ErrorMiddleware` (metrics, which label each request with its
/// status) sees the status the client gets, not a 500.
extension OffloadError: HTTPResponseError {
    /// The HTTP status of the error's code, mapped once for the whole API.
    public var status: HTTPResponse.Status {
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

    /// The JSON error body, `{"error": {"code", "message"}}`, with `Retry-After` when set.
    public func response(from request: Request, context: some RequestContext) -> Response {
        response()
    }

    func response(headers extraHeaders: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extraHeaders)
        if let seconds = retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        // The scheme the client must use (RFC 9110 §11.6.1).
        if code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: jsonBody))
    }

    /// `{"error": {"code", "message"}}`.
    var jsonBody: ByteBuffer {
        let body = ErrorBody(error: .init(code: code.rawValue, message: message))
        return ByteBuffer(bytes: (try? OffloadJSON.compact.encode(body)) ?? Data())
    }
}

/// A request NIO's HTTP parser refuses, answered by `HTTP1ConnectionHandler` before any
/// route runs. The URI counts against the same limit as the header fields, and the parser
/// reports both as `headerOverflow`, so a URI that is too long is a 431 as well.
extension HTTPParserError {
    var answer: (status: HTTPResponse.Status, error: OffloadError) {
        switch self {
        case .invalidMethod:
            return (.notImplemented, OffloadError(.malformed, "the request method is not one this server implements"))
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge, OffloadError(.malformed, "the request line and header fields exceed 80 KB"))
        default:
            return (.badRequest, OffloadError(.malformed, "the request is not valid HTTP/1.1"))
        }
    }
}

extension MethodNotAllowed: HTTPResponseError {
    var status: HTTPResponse.Status { .methodNotAllowed }

    func response(from request: Request, context: some RequestContext) -> Response {
        response()
    }

    func response() -> Response {
        let message = "\(method.rawValue.prefix(32)) is not allowed here; allowed: \(allowHeader)"
        return OffloadError(.methodNotAllowed, message).response(headers: [.allow: allowHeader])
    }
}

struct ErrorBody: Codable {
    struct Detail: Codable {
        let code: String
        let message: String
    }

    let error: Detail
}
