import Hummingbird
import Logging
import Offload
import Prometheus

package typealias APIRequestContext = BasicRequestContext

/// Builds `offload-api`'s application: Offload's routes at the root of a router of their
/// own, on the API's HTTP/1 server. Its main and the tests both call this, so the tests
/// run the real thing.
public func buildApplication(
    configuration: APIConfiguration,
    metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = Logger(label: "offload.api")
) throws(OffloadError) -> some ApplicationProtocol {
    var settings = BrokerSettings()
    settings.keyPrefix = configuration.keyPrefix
    try Validation.check(configuration.minReplicas, in: BrokerSettings.minReplicasRange, field: "min_replicas")
    settings.minReplicas = configuration.minReplicas
    settings.minReplicasTimeoutMilliseconds = Int(configuration.minReplicasTimeout.components.seconds * 1000)
        + Int(configuration.minReplicasTimeout.components.attoseconds / 1_000_000_000_000_000)
    let client = OffloadClient(broker: try Broker.connect(redisURL: configuration.redisURL, settings: settings, logger: logger))
    let router = buildRouter(client: client, configuration: configuration.http, metricsRegistry: metricsRegistry)
    return Application(
        router: router,
        server: .api,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "offload"),
        services: [client],
        onServerRunning: { _ in logger.info("offload-api listening", metadata: ["port": "\(configuration.port)"]) },
        logger: logger
    )
}

/// The standalone server's router. Its middleware runs for every request, matched or not
/// (an unknown path needs the token too), and it answers HEAD wherever it answers GET
/// (RFC 9110 §9.3.2) and 405 with `Allow` for a known path asked with another method.
func buildRouter(
    client: OffloadClient, configuration: OffloadHTTPConfiguration, metricsRegistry: PrometheusCollectorRegistry
) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    if let token = configuration.apiToken { router.add(middleware: AuthMiddleware(token: token, prefix: "")) }
    router.add(middleware: PathParameterDecodingMiddleware())
    let routes: RouteTable<APIRequestContext> = buildRoutes(
        client: client, configuration: configuration, prefix: "", metricsRegistry: metricsRegistry)
    router.addRoutes(routes.collection)
    // Router middleware applies only to routes registered after it and to the router's
    // not-found path, so this one runs for unmatched requests only.
    router.add(middleware: MethodNotAllowedMiddleware(allowedMethods: routes.allowedMethods))
    return router
}

/// Every route of the API and the dashboard, for the path `prefix` they are served
/// under (the tests compare the routes with the OpenAPI document).
func buildRoutes<Context: RequestContext>(
    client: OffloadClient, configuration: OffloadHTTPConfiguration, prefix: String,
    metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) -> RouteTable<Context> {
    let broker = client.broker
    let inspector = client.inspector
    let metrics = APIMetrics(registry: metricsRegistry)
    let routes = RouteTable<Context>()
    HealthRoutes(client: client).register(on: routes)
    metrics.register(on: routes, inspector: inspector)
    JobRoutes(
        broker: broker, inspector: inspector, watcher: JobEventWatcher(inspector: inspector),
        maxBodyBytes: configuration.maxBodyBytes, metrics: metrics, eventStreamKeepalive: configuration.eventStreamKeepalive
    ).register(on: routes)
    QueueRoutes(inspector: inspector, maxBodyBytes: configuration.maxBodyBytes).register(on: routes)
    ScheduleRoutes(inspector: inspector, maxBodyBytes: configuration.maxBodyBytes).register(on: routes)
    OpenAPIRoutes().register(on: routes)
    DashboardRoutes(inspector: inspector, assets: DashboardAssets(prefix: prefix)).register(on: routes)
    return routes
}

extension RouterMethods {
    /// Adds Offload's HTTP API (`/v1/...`, `/healthz`, `/readyz`, `/metrics`,
    /// `/openapi.json`) and its dashboard (the page at `path` itself) to this router under
    /// `path`, as Sidekiq's users mount `Sidekiq::Web`:
    ///
    /// ```swift
    /// let offload = try OffloadClient(redisURL: "redis://127.0.0.1:6379")
    /// router.addOffloadRoutes(offload, atPath: "/offload")
    /// ```
    ///
    /// Middleware added to the router before this call (your authentication, say) runs for
    /// these routes too; `configuration.apiToken` adds Offload's own bearer-token check on
    /// top. Offload's errors answer as JSON with their status. HEAD and 405 answers are the
    /// router's own: build it with `.autoGenerateHeadEndpoints` for HEAD.
    @discardableResult
    public func addOffloadRoutes(
        _ client: OffloadClient, atPath path: String = "", configuration: OffloadHTTPConfiguration = OffloadHTTPConfiguration(),
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) -> Self {
        let prefix = DashboardAssets.normalized(prefix: path)
        let mounted = RouteCollection(context: Context.self)
        mounted.add(middleware: ErrorMiddleware())
        if let token = configuration.apiToken { mounted.add(middleware: AuthMiddleware(token: token, prefix: prefix)) }
        mounted.add(middleware: PathParameterDecodingMiddleware())
        let routes: RouteTable<Context> = buildRoutes(
            client: client, configuration: configuration, prefix: prefix, metricsRegistry: metricsRegistry)
        mounted.addRoutes(routes.collection)
        return addRoutes(mounted, atPath: RouterPath(prefix))
    }
}
