import Foundation
import OffloadRedis
import OffloadTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end harness itself: tests start many processes on ports chosen free, and a
/// port can be taken between being chosen and being bound.
@Suite(.timeLimit(.minutes(1))) struct OffloadStackTests {
    /// A listener that accepts connections (into its backlog) and never answers, as a
    /// stopped redis-server's does: what another test had on an API's port once.
    static func silentListener(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        let bound = Loopback.withAddress(port: port) { bind(fd, $0, $1) }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestSupportError("cannot listen on \(port)")
        }
        return fd
    }

    @Test func apiStartsOnAnotherPortWhenItsPortWasTakenBySomethingSilent() async throws {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        let taken = stack.apiPort
        let listener = try Self.silentListener(port: taken)
        defer { close(listener) }
        let started = ContinuousClock.now
        try await stack.startAPI()
        #expect(stack.apiPort != taken)
        // Two starts of the API on a loaded machine fit; a health check held up by the
        // listener for each of its 500 polls would not.
        #expect(ContinuousClock.now - started < .seconds(45), "a silent listener must not hold the start up: \(ContinuousClock.now - started)")
        #expect(try await stack.get("/healthz").status == 200)
        await stack.stop()
    }

    @Test func redisServerStartsOnAnotherPortWhenItsPortWasTaken() async throws {
        let server = try RedisServerProcess()
        let taken = server.port
        let listener = try Self.silentListener(port: taken)
        defer { close(listener) }
        try await server.start()
        #expect(server.port != taken)
        let client = try RedisClient.forTests(url: server.url)
        #expect(try await client.send("PING") == .simpleString("PONG"))
        await client.shutdown()
        // A restart keeps the port its clients know.
        try await server.restart()
        let again = try RedisClient.forTests(url: server.url)
        #expect(try await again.send("PING") == .simpleString("PONG"))
        await again.shutdown()
        await server.stop()
    }
}
