import AsyncHTTPClient
import Foundation
import NIOCore

/// Just enough HTTP for the check: JSON bodies out, status and text back, every request
/// bounded by `timeout`.
struct JSONHTTP {
    let timeout: TimeAmount

    struct Answer {
        let url: String
        let status: Int
        let body: String

        /// The body as `T`, once the status is the expected one.
        func decode<T: Decodable>(_ type: T.Type, expecting expected: Int) throws -> T {
            guard status == expected else { throw CheckFailure("\(url) answered \(status), expected \(expected): \(body.prefix(300))") }
            do {
                return try JSONDecoder().decode(T.self, from: Data(body.utf8))
            } catch {
                throw CheckFailure("\(url) answered a body that is not a \(T.self): \(body.prefix(300))")
            }
        }
    }

    func get(_ url: String) async throws -> Answer {
        try await send(url, json: nil)
    }

    func post(_ url: String, json value: some Encodable) async throws -> Answer {
        try await send(url, json: try JSONEncoder().encode(value))
    }

    private func send(_ url: String, json: Data?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let json {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 4 << 20)
            return Answer(url: url, status: Int(response.status.code), body: String(buffer: body))
        } catch {
            throw CheckFailure("\(json == nil ? "GET" : "POST") \(url) failed: \(error)")
        }
    }
}
