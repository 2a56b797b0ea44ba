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
    /// An event stream with nothing to say for this long sends a comment line, so proxies
    /// that cut silent connections (often after 60 s) keep it open.
    public var eventStreamKeepalive: Duration = .seconds(15)

    public init() {}
}
