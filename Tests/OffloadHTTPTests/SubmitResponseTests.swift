import Foundation
import Hummingbird
import NIOCore
import Offload
import Testing

@testable import OffloadHTTP

/// The submit route writes its answer by hand; it must be the encoder's bytes exactly.
@Suite struct SubmitResponseTests {
    @Test(arguments: JobState.allCases)
    func handWrittenBytesAreTheEncodersBytes(state: JobState) async throws {
        let ids = [
            "default.01M88ZFP3J1NK2J7A03ZEEYF1W", "a-b_c.01M88ZFP3J1NK2J7A03ZEEYF1W", "",
            #"quo"te"#, #"back\slash"#, "new\nline", "slash/and~tilde", "ünï",
        ]
        for id in ids {
            let value = SubmitResponse(id: id, state: state)
            let response = try value.response(status: .accepted)
            let body = try await Self.body(of: response)
            #expect(Data(body.readableBytesView) == (try OffloadJSON.compact.encode(value)), "\(id): \(String(buffer: body))")
            #expect(response.status == .accepted)
            #expect(response.headers[.contentType] == "application/json")
        }
    }

    static func body(of response: Response) async throws -> ByteBuffer {
        let collected = Collected()
        try await response.body.write(CollectingWriter(collected: collected))
        return collected.buffer
    }

    final class Collected {
        var buffer = ByteBuffer()
    }

    struct CollectingWriter: ResponseBodyWriter {
        let collected: Collected

        mutating func write(_ buffer: ByteBuffer) async throws {
            collected.buffer.writeImmutableBuffer(buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
