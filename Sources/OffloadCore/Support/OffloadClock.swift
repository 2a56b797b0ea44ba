import Foundation
import NIOConcurrencyHelpers

/// Wall-clock time in milliseconds, as stored in Redis. Injectable so tests can expire
/// leases and promote scheduled jobs without waiting.
public protocol OffloadClock: Sendable {
    func nowMilliseconds() -> Int64
}

public struct SystemClock: OffloadClock {
    public init() {}
    public func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A clock that moves only when told to.
public final class ManualClock: OffloadClock {
    private let now: NIOLockedValueBox<Int64>

    public init(milliseconds: Int64 = SystemClock().nowMilliseconds()) {
        now = NIOLockedValueBox(milliseconds)
    }

    public func nowMilliseconds() -> Int64 { now.withLockedValue { $0 } }

    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        now.withLockedValue { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }
}
