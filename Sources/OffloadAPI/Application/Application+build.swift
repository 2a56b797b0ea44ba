import Hummingbird
import Logging
import OffloadCore
import OffloadRedis

public typealias APIRequestContext = BasicRequestContext

/// Builds the API application; `offload-api`'s main and the tests both call this, so the
/// tests run the real thing.
public func buildApplication(
    configuration: APIConfiguration,
    logger: Logger = Logger(label: "offload.api")
) throws -> some ApplicationProtocol {
    let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL), logger: logger)
    var settings = BrokerSettings()
    settings.keyPrefix = configuration.keyPrefix
    let broker = Broker(redis: redis, settings: settings)
    let inspector = Inspector(broker: broker)

    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    HealthRoutes(broker: broker).register(on: router)
    JobRoutes(
        broker: broker, inspector: inspector, catalog: JobTypeCatalog(inspector: inspector),
        maxBodyBytes: configuration.maxBodyBytes
    ).register(on: router)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "offload"),
        onServerRunning: { _ in logger.info("offload-api listening", metadata: ["port": "\(configuration.port)"]) },
        logger: logger
    )
}
