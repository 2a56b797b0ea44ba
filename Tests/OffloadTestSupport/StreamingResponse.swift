import AsyncHTTPClient
import NIOCore

/// A response body read as it arrives, for tests that act between its parts (an event
/// stream: wait until it is open, then stop the server under it).
package final class StreamingResponse {
    /// What has arrived so far.
    package private(set) var text = ""
    private var chunks: HTTPClientResponse.Body.AsyncIterator

    init(_ response: HTTPClientResponse) {
        chunks = response.body.makeAsyncIterator()
    }

    /// Reads until `marker` has arrived or the body ends (with no marker: to its end);
    /// true when the marker is in what arrived.
    @discardableResult
    package func read(until marker: String? = nil) async throws -> Bool {
        while marker.map({ !text.contains($0) }) ?? true, let chunk = try await chunks.next() {
            text += String(buffer: chunk)
        }
        return marker.map { text.contains($0) } ?? true
    }
}

extension OffloadStack {
    /// GETs `path` and returns once the response head has arrived; `timeout` bounds the whole
    /// exchange, body included.
    package func openStream(_ path: String, timeout: Duration = .seconds(60)) async throws -> StreamingResponse {
        let response = try await http.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(Int64(timeout.components.seconds)))
        return StreamingResponse(response)
    }
}
