import Hummingbird

/// `GET /openapi.json`: the API's OpenAPI 3.1 document, embedded in the binary
/// (`OpenAPIDocument.json`, generated from docs/openapi.json by `make openapi`).
struct OpenAPIRoutes<Context: RequestContext>: Sendable {
    func register(on routes: RouteTable<Context>) {
        routes.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}
