import Foundation
import Hummingbird
import Offload

/// JSON responses, encoded the one way Offload encodes JSON.
enum JSONResponse {
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws(OffloadError) -> Response {
        let data: Data
        do {
            data = try OffloadJSON.compact.encode(value)
        } catch {
            throw OffloadError(.internalError, "cannot encode the response: \(error)")
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
