import Foundation
import Hummingbird
import HummingbirdTesting
import Offload
import OffloadTestSupport
import Testing

import OffloadHTTP

/// Offload's routes mounted in a user's own Hummingbird app, through the public API only
/// (no `@testable`): what `Examples/` and the docs show.
@Suite struct MountTests {
    /// The app's own authentication: a header it checks before anything of Offload runs.
    struct AppAuth<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            guard request.headers[.init("X-App-User")!] == "ops" else { return Response(status: .forbidden) }
            return try await next(request, context)
        }
    }

    static func app(configuration: OffloadHTTPConfiguration = OffloadHTTPConfiguration(), appAuth: Bool = false) throws
        -> (some ApplicationProtocol, OffloadClient)
    {
        let offload = try OffloadClient.forTests(keyPrefix: TestRedis.uniquePrefix("mount"))
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.get("hello") { _, _ in "the app's own route" }
        if appAuth { router.add(middleware: AppAuth()) }
        router.addOffloadRoutes(offload, atPath: "/offload", configuration: configuration)
        return (Application(router: router), offload)
    }

    @Test func apiAndDashboardAnswerUnderThePrefix() async throws {
        let (app, offload) = try Self.app()
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/hello", method: .get).status == .ok)
            let page = try await client.execute(uri: "/offload", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"src="/offload/dashboard/app.js" data-base="/offload""#))
            #expect(html.contains(#"href="/offload/dashboard/app.css""#))
            #expect(try await client.execute(uri: "/offload/", method: .get).status == .ok)
            let script = try await client.execute(uri: "/offload/dashboard/app.js", method: .get)
            #expect(script.status == .ok)
            #expect(String(buffer: script.body).contains("BASE + '/v1/queues'"))
            #expect(try await client.execute(uri: "/offload/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/offload/v1/queues", method: .get).status == .ok)
            // Offload's errors keep their JSON body and status inside the user's app.
            let unknown = try await client.execute(
                uri: "/offload/v1/jobs", method: .post, body: ByteBuffer(string: #"{"type": "never.served"}"#))
            #expect(unknown.status == .unprocessableContent)
            #expect(String(buffer: unknown.body).contains(#""code":"unknown_job_type""#))
            // Nothing at the root: the API lives under the prefix only.
            #expect(try await client.execute(uri: "/v1/queues", method: .get).status == .notFound)
        }
        await offload.shutdown()
    }

    @Test func theAppsOwnMiddlewareGuardsTheMountedRoutes() async throws {
        let (app, offload) = try Self.app(appAuth: true)
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/offload/v1/queues", method: .get).status == .forbidden)
            #expect(try await client.execute(uri: "/offload", method: .get).status == .forbidden)
            let allowed = try await client.execute(uri: "/offload/v1/queues", method: .get, headers: [.init("X-App-User")!: "ops"])
            #expect(allowed.status == .ok)
        }
        await offload.shutdown()
    }

    @Test func offloadsOwnTokenWorksUnderThePrefix() async throws {
        let (app, offload) = try Self.app(configuration: OffloadHTTPConfiguration(apiToken: "s3cret"))
        try await app.test(.router) { client in
            let refused = try await client.execute(uri: "/offload/v1/queues", method: .get)
            #expect(refused.status == .unauthorized)
            #expect(String(buffer: refused.body).contains(#""code":"unauthorized""#))
            // The page and its assets load without it, so the sign-in prompt can show.
            #expect(try await client.execute(uri: "/offload/", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/offload/dashboard/app.css", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/offload/readyz", method: .get).status == .ok)
            let allowed = try await client.execute(
                uri: "/offload/v1/queues", method: .get, headers: [.authorization: "Bearer s3cret"])
            #expect(allowed.status == .ok)
            // The app's own routes are not Offload's to guard.
            #expect(try await client.execute(uri: "/hello", method: .get).status == .ok)
        }
        await offload.shutdown()
    }
}
