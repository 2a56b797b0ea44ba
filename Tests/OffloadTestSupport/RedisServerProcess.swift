import Foundation
import Offload
import OffloadRedis

/// A real `redis-server` on a free loopback port, owned by one test, for tests that
/// stop, restart or pause the server. Everything else shares ``TestRedis/url``.
package final class RedisServerProcess: @unchecked Sendable {
    /// Chosen free when made (unless given); another if it is taken by the first start.
    package private(set) var port: Int
    package let directory: URL
    private var process: ChildProcess?
    private let extraArguments: [String]
    private let mayMove: Bool
    private var started = false

    package var url: String { "redis://127.0.0.1:\(port)" }

    package init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? FreePort.next()
        self.mayMove = port == nil
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("offload-redis-\(UUID().uuidString)")
        self.extraArguments = arguments
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts the server and waits until it answers PING. A port chosen free can be taken by
    /// another test's process before the server binds it: the first start then moves to
    /// another port (a restart keeps its port: clients hold the URL).
    package func start() async throws {
        for _ in 0..<5 {
            let log = directory.appendingPathComponent("redis-\(port).log").path
            let process = try ChildProcess(
                try Executable.find("redis-server"),
                [
                    "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path,
                    "--save", "", "--daemonize", "no", "--loglevel", "notice",
                ] + extraArguments,
                logPath: log
            )
            self.process = process
            if try await waitUntilReady(process) {
                started = true
                return
            }
            guard mayMove, !started, process.output.contains("Address already in use") else {
                throw TestSupportError("redis-server on port \(port) did not start:\n\(process.output.suffix(2000))")
            }
            port = try FreePort.next()
        }
        throw TestSupportError("redis-server found no free port in 5 tries")
    }

    package func stop() async {
        await process?.stop()
        process = nil
    }

    package func restart() async throws {
        await stop()
        try await start()
    }

    /// SIGKILL, as a crash or a pulled plug: no save, no goodbye to clients or replicas.
    package func kill() async {
        process?.signal(SIGKILL)
        await process?.waitForExit()
        process = nil
    }

    package var isRunning: Bool { process?.isRunning ?? false }

    /// Sends SIGSTOP / SIGCONT: the server keeps its sockets but stops answering.
    package func pause() { process?.signal(SIGSTOP) }
    package func resume() { process?.signal(SIGCONT) }

    /// True once this process says it is ready and answers; false if it exits first.
    private func waitUntilReady(_ process: ChildProcess) async throws -> Bool {
        let client = try RedisClient.forTests(url: url)
        defer { Task { await client.shutdown() } }
        // Generous: a busy machine, or a cluster node loading its AOF, takes seconds.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { return false }
            // Its own log line, so the answer is not from another server on the port.
            if process.output.contains("Ready to accept connections") {
                do {
                    _ = try await client.send("PING")
                    return true
                } catch .server {
                    return true  // answered, e.g. NOAUTH: the server is up
                } catch {}
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    deinit {
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }
}

package struct TestSupportError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// The shared test Redis that `make test` starts, and a fresh key prefix per test so
/// tests run in parallel without seeing each other's keys.
package enum TestRedis {
    package static var url: String {
        ProcessInfo.processInfo.environment["OFFLOAD_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"
    }

    package static func makeClient() throws -> RedisClient {
        try RedisClient.forTests(url: url)
    }

    package static func uniquePrefix(_ name: String = "test") -> String {
        "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

extension RedisClient {
    /// A client for a test: its timeouts bound a hang, not a slow machine. The defaults
    /// (2 s to connect, 5 s a command) are a server's; a suite beside a compiler and busy
    /// loops can wait longer than that for a loopback connect without anything being wrong.
    package static func forTests(url: String) throws(RedisError) -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectTimeout = .seconds(30)
        configuration.commandTimeout = .seconds(30)
        return RedisClient(configuration: configuration)
    }
}

/// 127.0.0.1 and a port, as the socket calls take it.
package enum Loopback {
    package static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// `body` with 127.0.0.1:`port` as the generic address that bind() and connect() take.
    package static func withAddress<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = address(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

package enum FreePort {
    /// Asks the kernel for an unused loopback port.
    package static func next() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = Loopback.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestSupportError("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

package enum Executable {
    /// The absolute path of a program on PATH (or the usual sbin folders).
    package static func find(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("\(name) is not installed")
    }
}

extension OffloadClient {
    /// A client on test timeouts (``RedisClient/forTests(url:)``), for tests that mount
    /// the routes in an app of their own.
    package static func forTests(url: String = TestRedis.url, keyPrefix: String = "offload") throws(RedisError) -> OffloadClient {
        var settings = BrokerSettings()
        settings.keyPrefix = keyPrefix
        return OffloadClient(broker: Broker(redis: try RedisClient.forTests(url: url), settings: settings))
    }
}
