import Foundation

/// Jobs completed (`processed`) and runs failed (`failed`) in one wall-clock minute of one
/// queue, from the per-minute stats hashes the engine keeps for two hours.
package struct MinuteStats: Sendable, Hashable, Codable {
    /// Minutes since the Unix epoch (epoch ms / 60,000).
    package var minute: Int64
    package var processed: Int
    package var failed: Int

    package init(minute: Int64, processed: Int, failed: Int) {
        self.minute = minute
        self.processed = processed
        self.failed = failed
    }

    /// When the minute starts.
    package var start: Date { Date(timeIntervalSince1970: Double(minute) * 60) }

    enum CodingKeys: String, CodingKey {
        case minute, processed, failed, start
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minute = try container.decode(Int64.self, forKey: .minute)
        processed = try container.decode(Int.self, forKey: .processed)
        failed = try container.decode(Int.self, forKey: .failed)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minute, forKey: .minute)
        try container.encode(start, forKey: .start)
        try container.encode(processed, forKey: .processed)
        try container.encode(failed, forKey: .failed)
    }
}
