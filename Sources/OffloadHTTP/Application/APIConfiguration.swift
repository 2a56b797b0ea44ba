import Offload

/// How Offload's routes behave, wherever they are served: `offload-api` or a user's app.
public struct OffloadHTTPConfiguration: Sendable {
    /// When set, every route but `/healthz`, `/readyz` and the dashboard's page and assets
    /// needs `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// Larger request bodies get 413.
    public var maxBodyBytes: Int
    /// An event stream with nothing to say for this long sends a comment line, so proxies
    /// that cut silent connections (often after 60 s) keep it open.
    public var eventStreamKeepalive: Duration

    /// The routes' settings; the defaults are `offload-api`'s.
    public init(apiToken: String? = nil, maxBodyBytes: Int = 1 << 20, eventStreamKeepalive: Duration = .seconds(15)) {
        self.apiToken = apiToken
        self.maxBodyBytes = maxBodyBytes
        self.eventStreamKeepalive = eventStreamKeepalive
    }
}

/// Everything `offload-api` is configured with (flags and environment).
public struct APIConfiguration: Sendable {
    /// Where to listen (`--host`, `--port`).
    public var host = "127.0.0.1"
    public var port = 8080
    /// The Redis to use and the key prefix shared with the workers.
    public var redisURL = "redis://127.0.0.1:6379"
    public var keyPrefix = "offload"
    /// Replicas that must confirm a submit before it is answered 202 (`--min-replicas`),
    /// and how long to wait for them; 0: the primary's answer is enough.
    public var minReplicas = 0
    public var minReplicasTimeout: Duration = .milliseconds(500)
    /// The routes' own settings.
    public var http = OffloadHTTPConfiguration()

    /// `offload-api`'s defaults.
    public init() {}
}
