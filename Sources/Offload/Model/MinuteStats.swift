import Foundation

/// Jobs completed (`processed`) and runs failed (`failed`) in one wall-clock minute of one
/// queue, from the per-minute stats hashes the engine keeps for two hours.
public struct MinuteStats: Sendable, Hashable, Codable {
    /// Minutes since the Unix epoch (epoch ms / 60,000).
    public var minute: Int64
    /// Jobs completed and runs failed in that minute.
    public var processed: Int
    public var failed: Int

    /// The counts of the minute `minute` (minutes since the Unix epoch).
    public init(minute: Int64, processed: Int, failed: Int) {
        self.minute = minute
        self.processed = processed
        self.failed = failed
    }

    /// When the minute starts.
    public var start: Date { Date(timeIntervalSince1970: Double(minute) * 60) }

    enum CodingKeys: String, CodingKey {
        case minute, processed, failed, start
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minute = try container.decode(Int64.self, forKey: .minute)
        processed = try container.decode(Int.self, forKey: .processed)
        failed = try container.decode(Int.self, forKey: .failed)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minute, forKey: .minute)
        try container.encode(start, forKey: .start)
        try container.encode(processed, forKey: .processed)
        try container.encode(failed, forKey: .failed)
    }
}
