import Foundation

/// SplitMix64: small, fast, and the same sequence on every platform for a seed, so a
/// seeded property test replays exactly.
package struct SplitMix64: RandomNumberGenerator {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `OFFLOAD_FUZZ_SEED` when set (to replay a run), else a fresh random seed.
    package static var fuzzSeed: UInt64 {
        if let text = ProcessInfo.processInfo.environment["OFFLOAD_FUZZ_SEED"], let value = UInt64(text) { return value }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }
}
