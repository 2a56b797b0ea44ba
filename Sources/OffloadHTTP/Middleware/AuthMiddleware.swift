import Hummingbird
import Offload

/// With `OFFLOAD_API_TOKEN` set, every route except the probes needs
/// `Authorization: Bearer <token>`. The comparison takes the same time wherever the
/// first wrong byte is, so the token cannot be guessed byte by byte from timings.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    /// The probes, and the dashboard's page and assets (its data calls still need the token).
    let openPaths: Set<String>

    /// `prefix`: the path the routes are mounted under ("" at the root).
    init(token: String, prefix: String) {
        self.token = Array(token.utf8)
        self.openPaths = DashboardAssets(prefix: prefix).paths.union([prefix + "/healthz", prefix + "/readyz"])
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var path = Substring(request.uri.path)
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }  // the router reads `/offload/` as `/offload`
        if openPaths.contains(String(path)) { return try await next(request, context) }
        guard let header = request.headers[.authorization], let credentials = Self.bearerCredentials(header),
            Self.constantTimeEqual(Array(credentials.utf8), token)
        else {
            throw APIError(.unauthorized, "a valid 'Authorization: Bearer <token>' header is required")
        }
        return try await next(request, context)
    }

    /// What follows the scheme of a `Bearer` header; the scheme's name is case-insensitive
    /// and spaces separate it from the token (RFC 9110 §11.4, RFC 6750 §2.1).
    static func bearerCredentials(_ header: String) -> Substring? {
        guard let space = header.firstIndex(of: " "), header[..<space].lowercased() == "bearer" else { return nil }
        return header[space...].drop { $0 == " " }
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
