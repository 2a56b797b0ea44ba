/// Runs of one job type in one queue since the queue began: how many completed, how many
/// failed (each failed run counts, retried or not), and how long they took.
package struct RunTotals: Sendable, Hashable {
    package var queue: String
    package var type: String
    package var processed = 0
    package var failed = 0
    package var totalMilliseconds = 0
    /// Runs per duration bucket, keyed by the bucket's upper bound in ms ("+Inf" last);
    /// not cumulative.
    package var buckets: [String: Int] = [:]

    /// The bounds the scripts use, in ms, smallest first (see `Scripts/Library/run-stats.lua`).
    package static let bucketBounds = ["5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "+Inf"]

    package init(queue: String, type: String) {
        self.queue = queue
        self.type = type
    }

    package var timedRuns: Int { buckets.values.reduce(0, +) }
}
