import Hummingbird
import Offload
import OffloadRedis

/// `/healthz`: the process answers. `/readyz`: and Redis answers too.
struct HealthRoutes<Context: RequestContext>: Sendable {
    let broker: Broker

    func register(on routes: RouteTable<Context>) {
        routes.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        routes.get("readyz") { _, _ in
            do {
                _ = try await broker.redis.send("PING")
            } catch let error as RedisError {
                throw OffloadError(error)
            }
            return try JSONResponse.make(["status": "ready"])
        }
    }
}
