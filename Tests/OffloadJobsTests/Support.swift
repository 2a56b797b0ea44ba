import Foundation
import OffloadWorker
import Testing

/// Progress reports collected from a standalone context.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Int] = []

    var percents: [Int] { lock.withLock { entries } }

    func context() -> JobContext {
        JobContext.standalone { [self] percent, _ in lock.withLock { entries.append(percent) } }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Encodes like the registry does, to check the JSON field names clients see.
func json(_ value: some Encodable) throws -> [String: Any] {
    let data = try JSONEncoder().encode(value)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(text.utf8))
}
