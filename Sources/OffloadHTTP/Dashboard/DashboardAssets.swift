import Hummingbird

/// One file of the dashboard, kept in memory as bytes.
struct DashboardAsset: Sendable {
    let path: String
    let contentType: String
    let bytes: ByteBuffer

    init(path: String, contentType: String, text: String) {
        self.path = path
        self.contentType = contentType
        self.bytes = ByteBuffer(string: text)
    }

    func response() -> Response {
        var headers: HTTPFields = [
            .contentType: contentType,
            .cacheControl: "no-cache",
            .init("X-Content-Type-Options")!: "nosniff",
            .init("Referrer-Policy")!: "no-referrer",
        ]
        if contentType.hasPrefix("text/html") {
            headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }
}

enum DashboardAssets {
    static let all: [DashboardAsset] = [
        DashboardAsset(path: "/", contentType: "text/html; charset=utf-8", text: DashboardPage.html),
        DashboardAsset(path: "/dashboard/app.css", contentType: "text/css; charset=utf-8", text: DashboardPage.css),
        DashboardAsset(path: "/dashboard/app.js", contentType: "text/javascript; charset=utf-8", text: DashboardPage.javascript),
    ]

    /// What `AuthMiddleware` lets through without a token: these assets and nothing else.
    static let paths: Set<String> = Set(all.map(\.path))
}
