import Crypto
import Foundation
import OffloadTestSupport
import OffloadWorker
import Testing

@testable import offload_worker

/// `python3 -m http.server` on a free loopback port, serving a temp folder.
final class StaticFileServer {
    let folder: URL
    let port: Int
    let process: ChildProcess

    init(files: [String: Data]) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("offload-fetch-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
        port = try FreePort.next()
        process = try ChildProcess(
            try Executable.find("python3"),
            ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", folder.path])
        try await waitUntilListening()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private func waitUntilListening() async throws {
        try await waitUntil("http.server answers on \(port)") {
            guard process.isRunning else { return true }  // exited: said below
            _ = try await HTTPFetch().run(.init(url: baseURL + "/", method: "HEAD", timeoutSeconds: 1), context: .standalone())
            return true
        }
        guard process.isRunning else { throw TestSupportError("http.server exited: \(process.output)") }
    }

    func stop() async {
        // SIGKILL: a static file server has nothing to clean up, so no grace period is needed.
        process.signal(SIGKILL)
        await process.waitForExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite(.serialized) struct HTTPFetchTests {
    /// The default timeout only bounds a hang: a loaded machine may serve slowly.
    func fetch(_ url: String, method: String? = nil, timeout: Int = 30) async throws -> HTTPFetch.Output {
        try await HTTPFetch().run(.init(url: url, method: method, timeoutSeconds: timeout), context: .standalone())
    }

    @Test func fetchesStatusHeadersAndDigest() async throws {
        let hello = Data("hello, offload\n".utf8)
        // Big enough to arrive in several chunks.
        let large = Data((0..<300_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) })
        let server = try await StaticFileServer(files: ["hello.txt": hello, "large.bin": large])

        let small = try await fetch(server.baseURL + "/hello.txt")
        #expect(small.status == 200)
        #expect(small.bodyBytes == hello.count)
        #expect(small.bodySHA256 == hex(SHA256.hash(data: hello)))
        #expect(small.headers["content-length"] == String(hello.count))
        #expect(small.headers["content-type"]?.hasPrefix("text/plain") == true)

        let big = try await fetch(server.baseURL + "/large.bin")
        #expect(big.status == 200 && big.bodyBytes == large.count)
        #expect(big.bodySHA256 == hex(SHA256.hash(data: large)))

        let head = try await fetch(server.baseURL + "/large.bin", method: "head")
        #expect(head.status == 200 && head.bodyBytes == 0)
        #expect(head.headers["content-length"] == String(large.count))

        let missing = try await fetch(server.baseURL + "/missing.txt")
        #expect(missing.status == 404)
        #expect(missing.bodyBytes > 0)

        let fields = try json(small)
        #expect(Set(fields.keys) == ["status", "headers", "body_sha256", "body_bytes"])
        await server.stop()
    }

    @Test func bodiesOverTheCapAreRejected() async throws {
        let server = try await StaticFileServer(files: ["huge.bin": Data(count: HTTPFetch.maxBodyBytes + 1)])
        await #expect(throws: PermanentJobError.self) { try await fetch(server.baseURL + "/huge.bin") }
        let head = try await fetch(server.baseURL + "/huge.bin", method: "HEAD")
        #expect(head.status == 200)
        await server.stop()
    }

    @Test func invalidInputIsPermanent() async {
        for url in ["not a url", "ftp://example.com/file", "http://", "/relative/path", "mailto:someone@example.com"] {
            await #expect(throws: PermanentJobError.self, "\(url)") { try await fetch(url) }
        }
        await #expect(throws: PermanentJobError.self) { try await fetch("http://127.0.0.1/", method: "POST") }
        await #expect(throws: PermanentJobError.self) {
            try await HTTPFetch().run(.init(url: "http://127.0.0.1/", method: nil, timeoutSeconds: 61), context: .standalone())
        }
    }

    @Test func connectionFailuresAreRetryable() async throws {
        let port = try FreePort.next()  // nothing listens there
        await #expect {
            // AsyncHTTPClient retries refused connections until the deadline: keep it short.
            try await fetch("http://127.0.0.1:\(port)/", timeout: 1)
        } throws: { error in
            !(error is PermanentJobError)
        }
    }
}
