import OffloadWorker

/// Counts the primes below N with a segmented sieve of Eratosthenes: CPU-bound, exact,
/// memory bounded by the segment size, cancellable between segments.
struct CountPrimes: CPUJob {
    static let name = "count-primes"
    static let defaultTimeoutSeconds: Int? = 600

    struct Input: Codable, Sendable {
        let below: Int
    }

    struct Output: Codable, Sendable, Equatable {
        let count: Int
    }

    static let maxBelow = 10_000_000_000

    func run(_ input: Input, context: JobContext) throws -> Output {
        guard (0...Self.maxBelow).contains(input.below) else {
            throw PermanentJobError("below must be between 0 and \(Self.maxBelow)")
        }
        return Output(count: try Self.countPrimes(below: input.below, context: context))
    }

    static func countPrimes(below limit: Int, context: JobContext? = nil) throws -> Int {
        guard limit > 2 else { return 0 }
        let root = Int(Double(limit).squareRoot()) + 1
        // Base primes up to √limit with a plain sieve.
        var isComposite = [Bool](repeating: false, count: root + 1)
        var basePrimes: [Int] = []
        for candidate in 2...root where !isComposite[candidate] {
            basePrimes.append(candidate)
            var multiple = candidate * candidate
            while multiple <= root {
                isComposite[multiple] = true
                multiple += candidate
            }
        }
        let segmentSize = 1 << 16
        var segment = [Bool](repeating: false, count: segmentSize)
        var count = 0
        var low = 0
        var lastReported = -1
        while low < limit {
            try context?.checkCancellation()
            let high = min(low + segmentSize, limit)
            for index in 0..<(high - low) { segment[index] = false }
            for prime in basePrimes {
                if prime * prime >= high { break }
                var multiple = max(prime * prime, (low + prime - 1) / prime * prime)
                while multiple < high {
                    segment[multiple - low] = true
                    multiple += prime
                }
            }
            for value in max(low, 2)..<max(high, 2) where !segment[value - low] { count += 1 }
            low = high
            let percent = Int(Double(low) / Double(limit) * 100)
            if let context, percent / 10 != lastReported / 10 {
                lastReported = percent
                context.progress(percent, "sieved \(low) of \(limit)")
            }
        }
        return count
    }
}
