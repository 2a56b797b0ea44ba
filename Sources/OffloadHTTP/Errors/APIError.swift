import Foundation
import Hummingbird
import Offload

/// An error as the API answers it: a code, a status, a message and the field it is about.
/// The engine's errors (``OffloadError``) come in through `init(_:)`, which maps each
/// domain code to its status; the failures of HTTP itself, which the engine knows nothing
/// of, have their own codes here. Every error body the API sends is built by ``detail``.
struct APIError: Error, Sendable, Equatable {
    /// The codes of HTTP's own failures, beside the engine's ``OffloadError/Code``.
    enum HTTPCode: String, CaseIterable {
        /// The body or the request is not well-formed (bad JSON, bad HTTP).
        case malformed = "malformed_request"
        /// The path exists but does not answer this method.
        case methodNotAllowed = "method_not_allowed"
        /// No route has this path.
        case notFound = "not_found"
        /// The API token is missing or wrong.
        case unauthorized
        /// The body is larger than the server takes.
        case payloadTooLarge = "payload_too_large"
    }

    /// Every code the API answers with: the engine's and HTTP's (the OpenAPI `ErrorCode`).
    static var allCodes: Set<String> {
        Set(OffloadError.Code.allCases.map(\.rawValue)).union(HTTPCode.allCases.map(\.rawValue))
    }

    let code: String
    let status: HTTPResponse.Status
    let message: String
    /// The body field (or query parameter) whose value is wrong, when there is one.
    let field: String?
    var retryAfterSeconds: Int?
    /// Headers the error's kind calls for (`Allow`, `WWW-Authenticate`).
    var headers: HTTPFields = [:]

    /// An engine error, with the status of its code: mapped here and nowhere else.
    init(_ error: OffloadError) {
        code = error.code.rawValue
        message = error.message
        field = error.field
        retryAfterSeconds = error.retryAfterSeconds
        switch error.code {
        case .invalid, .unknownJobType: status = .unprocessableContent
        case .notFound: status = .notFound
        case .conflict, .leaseLost: status = .conflict
        case .queueFull: status = .tooManyRequests
        case .unavailable: status = .serviceUnavailable
        case .internalError: status = .internalServerError
        }
    }

    /// A failure of HTTP itself, with its usual status; `malformed` may carry a more
    /// precise one (501, 431 for what the parser refuses).
    init(_ code: HTTPCode, _ message: String, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.code = code.rawValue
        self.message = message
        self.field = nil
        self.headers = headers
        switch code {
        case .malformed: self.status = status ?? .badRequest
        case .methodNotAllowed: self.status = .methodNotAllowed
        case .notFound: self.status = .notFound
        case .unauthorized:
            self.status = .unauthorized
            self.headers[.wwwAuthenticate] = "Bearer"  // the scheme the client must use (RFC 9110 §11.6.1)
        case .payloadTooLarge: self.status = .contentTooLarge
        }
    }

    /// A request body whose shape is wrong (a missing field, a wrong type, an unknown
    /// field): `invalid_argument` like the engine's rules, worded by the decoder.
    init(invalidBody message: String, field: String?) {
        code = OffloadError.Code.invalid.rawValue
        status = .unprocessableContent
        self.message = message
        self.field = field
    }

    /// `{"code", "message", "field"?}`: the one builder of the API's error objects, in
    /// error responses, batch outcomes and event streams alike.
    var detail: ErrorDetail { ErrorDetail(code: code, message: message, field: field) }

    /// The error response: `{"error": detail}`, with `Retry-After` when set.
    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: self.headers)
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: jsonBody))
    }

    /// `{"error": detail}`.
    var jsonBody: ByteBuffer {
        ByteBuffer(bytes: (try? OffloadJSON.compact.encode(ErrorBody(error: detail))) ?? Data())
    }
}

/// The API's error object; see ``APIError/detail``.
struct ErrorDetail: Codable, Equatable {
    let code: String
    let message: String
    let field: String?
}

/// The body of every error response.
struct ErrorBody: Codable {
    let error: ErrorDetail
}
