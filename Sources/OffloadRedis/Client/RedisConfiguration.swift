import Foundation

/// Where and how to connect: parsed from `REDIS_URL`
/// (`redis://[user:password@]host:port/db`, `rediss://` for TLS).
package struct RedisConfiguration: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?
    package var database: Int
    package var useTLS: Bool
    package var connectTimeout: Duration
    /// Applies to every command except blocking ones, which pass their own deadline.
    package var commandTimeout: Duration
    /// Connections shared by all callers; each one pipelines many commands.
    package var poolSize: Int

    package static let defaultURL = "redis://127.0.0.1:6379"

    package init(
        host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
        database: Int = 0, useTLS: Bool = false, connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5), poolSize: Int = 2
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.useTLS = useTLS
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
    }

    package init(url: String) throws(RedisError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw .invalidURL("'\(Self.redacted(url))' is not a URL; expected redis://[user:password@]host:port/db")
        }
        guard scheme == "redis" || scheme == "rediss" else {
            throw .invalidURL("scheme '\(scheme)' is not redis:// or rediss://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidURL("'\(Self.redacted(url))' has no host")
        }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw .invalidURL("port \(port) is out of range") }
        var database = 0
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw .invalidURL("database '\(path)' is not a non-negative number")
            }
            database = number
        }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: port,
            // `redis://:secret@host` means "password only", the default user.
            username: password == nil ? nil : (user?.isEmpty == false ? user : nil),
            password: password ?? (user?.isEmpty == false ? user : nil),
            database: database,
            useTLS: scheme == "rediss"
        )
    }

    /// The URL with any password replaced, safe for logs and error messages.
    package static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "redis://***"
    }

    package var displayAddress: String { "\(useTLS ? "rediss" : "redis")://\(host):\(port)/\(database)" }
}

extension RedisConfiguration {
    package func with(poolSize: Int) -> RedisConfiguration {
        var copy = self
        copy.poolSize = poolSize
        return copy
    }
}
