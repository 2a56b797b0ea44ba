import Foundation
import NIOConcurrencyHelpers

/// Wall-clock time in milliseconds, as stored in Redis. Injectable so tests can expire
/// leases and promote scheduled jobs without waiting.
package protocol OffloadClock: Sendable {
    func nowMilliseconds() -> Int64
}

package struct SystemClock: OffloadClock {
    package init() {}
    package func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A clock that moves only when told to.
package final class ManualClock: OffloadClock {
    private let now: NIOLockedValueBox<Int64>

    package init(milliseconds: Int64 = SystemClock().nowMilliseconds()) {
        now = NIOLockedValueBox(milliseconds)
    }

    package func nowMilliseconds() -> Int64 { now.withLockedValue { $0 } }

    package func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        now.withLockedValue { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }
}
