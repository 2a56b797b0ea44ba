import Hummingbird
import Logging
import Offload
import OffloadRedis
import Prometheus

package typealias APIRequestContext = BasicRequestContext

/// Builds the API application; `offload-api`'s main and the tests both call this, so the
/// tests run the real thing.
package func buildApplication(
    configuration: APIConfiguration,
    metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = Logger(label: "offload.api")
) throws -> some ApplicationProtocol {
    let routes = try buildRoutes(configuration: configuration, metricsRegistry: metricsRegistry, logger: logger)
    return Application(
        router: routes.router,
        server: .api,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "offload"),
        onServerRunning: { _ in logger.info("offload-api listening", metadata: ["port": "\(configuration.port)"]) },
        logger: logger
    )
}

/// Every route and middleware of the API (the tests compare the routes with the OpenAPI
/// document).
func buildRoutes(
    configuration: APIConfiguration, metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = Logger(label: "offload.api")
) throws -> RouteTable<APIRequestContext> {
    let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL), logger: logger)
    var settings = BrokerSettings()
    settings.keyPrefix = configuration.keyPrefix
    let broker = Broker(redis: redis, settings: settings)
    let inspector = Inspector(broker: broker)
    let metrics = APIMetrics(registry: metricsRegistry)

    let routes = RouteTable<APIRequestContext>()
    routes.add(middleware: ErrorMiddleware())
    routes.add(middleware: LogRequestsMiddleware(.debug))
    routes.add(middleware: MetricsMiddleware())
    if let token = configuration.apiToken {
        routes.add(middleware: AuthMiddleware(token: token))
    }
    routes.add(middleware: PathParameterDecodingMiddleware())
    HealthRoutes(broker: broker).register(on: routes)
    metrics.register(on: routes, inspector: inspector)
    JobRoutes(
        broker: broker, inspector: inspector,
        watcher: JobEventWatcher(inspector: inspector), maxBodyBytes: configuration.maxBodyBytes, metrics: metrics,
        eventStreamKeepalive: configuration.eventStreamKeepalive
    ).register(on: routes)
    QueueRoutes(inspector: inspector, maxBodyBytes: configuration.maxBodyBytes).register(on: routes)
    ScheduleRoutes(inspector: inspector, maxBodyBytes: configuration.maxBodyBytes).register(on: routes)
    OpenAPIRoutes().register(on: routes)
    DashboardRoutes(inspector: inspector).register(on: routes)
    routes.addMethodNotAllowedFallback()
    return routes
}
