import Hummingbird
import Offload

/// `/healthz`: the process answers. `/readyz`: and Redis answers too.
struct HealthRoutes<Context: RequestContext>: Sendable {
    let client: OffloadClient

    func register(on routes: RouteTable<Context>) {
        routes.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        routes.get("readyz") { _, _ in
            try await client.ping()
            return try JSONResponse.make(["status": "ready"])
        }
    }
}
