import OffloadCore
import OffloadRedis

/// Everything `offload-api` is configured with (flags and environment).
public struct APIConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var redisURL = RedisConfiguration.defaultURL
    public var keyPrefix = "offload"
    /// When set, every route but /healthz and /readyz needs `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// Larger request bodies get 413.
    public var maxBodyBytes = 1 << 20

    public init() {}
}
