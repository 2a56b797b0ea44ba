import Hummingbird
import Offload

/// The web dashboard: one HTML page at `/` with its stylesheet and script under
/// `/dashboard/`, all compiled into the binary (no CDN, works air-gapped), plus the
/// per-minute throughput the dashboard's chart draws. The assets are served without a
/// token so the sign-in prompt can load; every data call the page makes needs it.
struct DashboardRoutes<Context: RequestContext>: Sendable {
    let inspector: Inspector
    let assets: DashboardAssets

    func register(on routes: RouteTable<Context>) {
        // Registered relative to the collection: the mount adds the prefix.
        let prefixLength = assets.all[0].path == "/" ? 0 : assets.all[0].path.count
        for asset in assets.all {
            let relative = String(asset.path.dropFirst(prefixLength))
            routes.get(RouterPath(relative.isEmpty ? "/" : relative)) { _, _ in asset.response() }
        }
        routes.get("v1/queues/{name}/throughput") { request, context in
            let name = try QueueRoutes<Context>.queueName(context)
            var minutes = 15
            if let text = request.uri.queryParameters.get("minutes") {
                // The range is the engine's rule; only a number that is no number is refused here.
                guard let value = Int(text) else { throw OffloadError(invalid: "minutes", "must be in \(Inspector.statsMinutes)") }
                minutes = value
            }
            let points = try await inspector.throughput(queue: name, minutes: minutes)
            return try JSONResponse.make(Throughput(queue: name, minutes: points))
        }
    }
}

/// `GET /v1/queues/{name}/throughput`: oldest minute first; the last one is still filling.
struct Throughput: Codable {
    let queue: String
    let minutes: [MinuteStats]
}
