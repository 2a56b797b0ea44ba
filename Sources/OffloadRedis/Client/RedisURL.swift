import Foundation

/// Reads `REDIS_URL` in its three forms (see ``RedisConfiguration``). Written by hand:
/// `URLComponents` cannot hold the comma-separated host lists of cluster and sentinel URLs.
enum RedisURL {
    static let expected =
        "expected redis://[user:password@]host:port/db, redis+cluster://host:port[,host:port…] or redis+sentinel://host:port[,host:port…]/MASTER_NAME[/db]"

    static func parse(_ url: String) throws(RedisError) -> RedisConfiguration {
        guard let schemeEnd = url.range(of: "://") else {
            throw .invalidURL("'\(redacted(url))' is not a URL; \(expected)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let useTLS: Bool
        let kind: String
        switch scheme {
        case "redis", "redis+cluster", "redis+sentinel": useTLS = false
        case "rediss", "rediss+cluster", "rediss+sentinel": useTLS = true
        default: throw .invalidURL("scheme '\(scheme)' is not one of redis, rediss, redis+cluster, rediss+cluster, redis+sentinel, rediss+sentinel")
        }
        kind = scheme.split(separator: "+").dropFirst().first.map(String.init) ?? "standalone"

        var rest = url[schemeEnd.upperBound...]
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...].split(separator: "/", omittingEmptySubsequences: true)

        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try decode(userInfo[..<colon])
                password = try decode(userInfo[userInfo.index(after: colon)...])
            } else {
                user = try decode(userInfo)
            }
        }
        let endpoints = try authority.split(separator: ",", omittingEmptySubsequences: false).map { host throws(RedisError) in
            try endpoint(host, in: url)
        }
        guard !endpoints.isEmpty else { throw .invalidURL("'\(redacted(url))' has no host") }
        if kind == "standalone", endpoints.count > 1 {
            throw .invalidURL("redis:// takes one host; use redis+cluster:// or redis+sentinel:// for several")
        }

        let topology: RedisTopology
        var databaseText: Substring?
        switch kind {
        case "cluster":
            guard path.isEmpty else { throw .invalidURL("a cluster has only database 0; drop '/\(path.joined(separator: "/"))'") }
            topology = .cluster
        case "sentinel":
            guard let name = path.first else { throw .invalidURL("redis+sentinel:// needs the master's name: …/MASTER_NAME[/db]") }
            guard path.count <= 2 else { throw .invalidURL("redis+sentinel:// takes …/MASTER_NAME[/db], not '/\(path.joined(separator: "/"))'") }
            topology = .sentinel(masterName: try decode(name))
            databaseText = path.count == 2 ? path[1] : nil
        default:
            guard path.count <= 1 else { throw .invalidURL("database '\(path.joined(separator: "/"))' is not a non-negative number") }
            topology = .standalone
            databaseText = path.first
        }
        var database = 0
        if let databaseText {
            guard let number = Int(databaseText), number >= 0 else {
                throw .invalidURL("database '\(databaseText)' is not a non-negative number")
            }
            database = number
        }
        return RedisConfiguration(
            host: endpoints[0].host,
            port: endpoints[0].port,
            // `redis://:secret@host` means "password only", the default user; so does
            // `redis://secret@host`.
            username: password == nil ? nil : (user?.isEmpty == false ? user : nil),
            password: password ?? (user?.isEmpty == false ? user : nil),
            database: database,
            useTLS: useTLS,
            topology: topology,
            seeds: endpoints
        )
    }

    private static func endpoint(_ text: Substring, in url: String) throws(RedisError) -> RedisEndpoint {
        guard !text.isEmpty else { throw .invalidURL("'\(redacted(url))' has no host") }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidURL("'\(text)' has an unclosed IPv6 bracket") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw .invalidURL("'\(text)' is not host:port") }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else { throw .invalidURL("'\(redacted(url))' has no host") }
        var port = 6379
        if let portText {
            guard let number = Int(portText) else { throw .invalidURL("port '\(portText)' is not a number") }
            port = number
        }
        guard (1...65535).contains(port) else { throw .invalidURL("port \(port) is out of range") }
        return RedisEndpoint(host: String(host), port: port)
    }

    private static func decode(_ text: Substring) throws(RedisError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw .invalidURL("'\(text)' has a broken percent-encoding")
        }
        return decoded
    }

    /// The URL with any password replaced, safe for logs and error messages.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<schemeEnd.upperBound]) + userInfo[..<colon] + ":***" + rest[at...]
    }
}
