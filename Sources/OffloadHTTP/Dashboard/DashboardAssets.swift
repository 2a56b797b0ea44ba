import Foundation
import Hummingbird

/// One file of the dashboard (`Assets/dashboard/`, compiled into the binary by the
/// EmbedFiles plugin: no files beside the binary, no CDN, no web fonts), kept as bytes.
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

/// The dashboard's files as served under a path prefix: the page links its stylesheet
/// and script under the prefix, and tells the script the prefix of the API it calls.
struct DashboardAssets: Sendable {
    let all: [DashboardAsset]

    /// `prefix` is "" at the root, else `/offload`-like (see ``normalized(prefix:)``).
    init(prefix: String) {
        let html = EmbeddedFiles.indexHTML
            .replacingOccurrences(of: #"href="/dashboard/app.css""#, with: #"href="\#(prefix)/dashboard/app.css""#)
            .replacingOccurrences(of: #"<script src="/dashboard/app.js""#, with: #"<script src="\#(prefix)/dashboard/app.js" data-base="\#(prefix)""#)
        all = [
            DashboardAsset(path: prefix.isEmpty ? "/" : prefix, contentType: "text/html; charset=utf-8", text: html),
            DashboardAsset(path: prefix + "/dashboard/app.css", contentType: "text/css; charset=utf-8", text: EmbeddedFiles.appCSS),
            DashboardAsset(path: prefix + "/dashboard/app.js", contentType: "text/javascript; charset=utf-8", text: EmbeddedFiles.appJS),
        ]
    }

    /// What `AuthMiddleware` lets through without a token: these assets and nothing else.
    var paths: Set<String> { Set(all.map(\.path)) }

    /// `offload/`, `/offload` and `/offload/` all mean `/offload`; `/` and "" mean the root.
    static func normalized(prefix: String) -> String {
        let trimmed = prefix.split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "" : "/" + trimmed
    }
}
