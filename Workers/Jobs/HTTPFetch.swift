import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OffloadWorker

/// Fetches a URL and reports status, headers and a digest of the body: I/O-bound, so it
/// runs on the event loop (AsyncHTTPClient's shared client) without holding a thread.
/// Any status is a result; only transport failures (retried) and bad input (dead) throw.
struct HTTPFetch: IOJob {
    static let name = "http-fetch"
    static let defaultTimeoutSeconds: Int? = 120

    struct Input: Codable, Sendable {
        let url: String
        let method: String?
        let timeoutSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case url, method
            case timeoutSeconds = "timeout_seconds"
        }
    }

    struct Output: Codable, Sendable, Equatable {
        let status: Int
        let headers: [String: String]
        let bodySHA256: String
        let bodyBytes: Int

        enum CodingKeys: String, CodingKey {
            case status, headers
            case bodySHA256 = "body_sha256"
            case bodyBytes = "body_bytes"
        }
    }

    static let timeoutRange = 1...60
    static let defaultTimeout = 30
    /// Bodies are hashed as they stream in, but a cap keeps one job from pulling gigabytes.
    static let maxBodyBytes = 10 * 1024 * 1024

    func run(_ input: Input, context: JobContext) async throws -> Output {
        guard let url = URL(string: input.url), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw PermanentJobError("url must be an absolute http or https URL, got \"\(input.url)\"")
        }
        let method: HTTPMethod
        switch (input.method ?? "GET").uppercased() {
        case "GET": method = .GET
        case "HEAD": method = .HEAD
        default: throw PermanentJobError("method must be GET or HEAD")
        }
        let timeout = input.timeoutSeconds ?? Self.defaultTimeout
        guard Self.timeoutRange.contains(timeout) else {
            throw PermanentJobError("timeout_seconds must be between 1 and \(Self.timeoutRange.upperBound)")
        }

        try context.checkCancellation()
        var request = HTTPClientRequest(url: input.url)
        request.method = method
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout)))
        } catch let error as HTTPClientError
            where error == .invalidURL || error == .emptyHost || error == .emptyScheme
            || error == .unsupportedScheme(url.scheme ?? "")
        {
            throw PermanentJobError("url \"\(input.url)\" cannot be requested: \(error)")
        }

        // HEAD answers carry the length of a body they do not send.
        if method != .HEAD, let declared = response.headers.first(name: "content-length").flatMap(Int.init),
            declared > Self.maxBodyBytes
        {
            throw PermanentJobError("response body of \(declared) bytes exceeds the \(Self.maxBodyBytes)-byte limit")
        }
        var hasher = SHA256()
        var received = 0
        for try await chunk in response.body {
            received += chunk.readableBytes
            guard received <= Self.maxBodyBytes else {
                throw PermanentJobError("response body exceeds the \(Self.maxBodyBytes)-byte limit")
            }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            // Cancellation is a flag here, not Task cancellation: look at it between chunks.
            try context.checkCancellation()
        }

        // Names are case-insensitive: lowercase them; repeated headers are joined per RFC 9110.
        var headers: [String: String] = [:]
        for (name, value) in response.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        return Output(
            status: Int(response.status.code), headers: headers,
            bodySHA256: Hex.encode(hasher.finalize()), bodyBytes: received)
    }
}
