import Hummingbird

/// `GET /openapi.json`: the API's OpenAPI 3.1 document, `Assets/openapi.json`, which the
/// EmbedFiles plugin compiles into the binary.
struct OpenAPIRoutes<Context: RequestContext>: Sendable {
    func register(on routes: RouteTable<Context>) {
        routes.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: EmbeddedFiles.openapiJSON)))
        }
    }
}
