import Offload
import OffloadRedis

/// Everything `offload-api` is configured with (flags and environment).
package struct APIConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 8080
    package var redisURL = RedisConfiguration.defaultURL
    package var keyPrefix = "offload"
    /// When set, every route but /healthz and /readyz needs `Authorization: Bearer <token>`.
    package var apiToken: String?
    /// Larger request bodies get 413.
    package var maxBodyBytes = 1 << 20
    /// An event stream with nothing to say for this long sends a comment line, so proxies
    /// that cut silent connections (often after 60 s) keep it open.
    package var eventStreamKeepalive: Duration = .seconds(15)

    package init() {}
}
