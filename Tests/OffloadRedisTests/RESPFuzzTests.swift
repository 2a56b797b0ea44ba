import Foundation
import NIOCore
import OffloadTestSupport
import Testing

@testable import OffloadRedis

/// Seeded property test of the reply path: random valid RESP2 values are encoded, fed to
/// `RESPReader` (hiredis's `redisReader`) in random chunk sizes, and must decode to the
/// same values; the same streams truncated and/or with flipped bytes must end in a typed
/// `RedisError`, in values, or in "need more bytes" — never a crash, never a hang.
///
/// The seed is printed; `OFFLOAD_FUZZ_SEED=<n> swift test --filter RESPFuzzTests` replays a run.
@Suite struct RESPFuzzTests {
    static let cases = 20_000

    // MARK: Generation and encoding

    /// A random reply. hiredis 0.14 caps nesting at 7 levels (the root plus 6 nested
    /// arrays); deeper valid input is its documented protocol error, so stay below.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> RESPValue {
        let pick = Int.random(in: 0..<(depth >= 5 ? 6 : 8), using: &rng)
        switch pick {
        case 0: return .simpleString(randomLine(&rng))
        case 1: return .error(randomLine(&rng))
        case 2:
            let special: [Int64] = [0, -1, 1, .max, .min, 42]
            return .integer(Bool.random(using: &rng) ? special.randomElement(using: &rng)! : Int64.random(in: .min ... .max, using: &rng))
        case 3: return .null
        case 4, 5: return .bulkString(randomBytes(&rng, max: Bool.random(using: &rng) ? 16 : 300))
        default:
            let count = Int.random(in: 0...5, using: &rng)
            return .array((0..<count).map { _ in randomValue(&rng, depth: depth + 1) })
        }
    }

    /// Printable text without CR/LF (simple strings and errors are one line).
    static func randomLine(_ rng: inout SplitMix64) -> String {
        let count = Int.random(in: 0...20, using: &rng)
        return String((0..<count).map { _ in Character(UnicodeScalar(UInt8.random(in: 32...126, using: &rng))) })
    }

    /// Any bytes, CR, LF and NUL included: bulk strings are binary-safe.
    static func randomBytes(_ rng: inout SplitMix64, max: Int) -> [UInt8] {
        let count = Int.random(in: 0...max, using: &rng)
        let specials: [UInt8] = [0, 13, 10, 36, 42, 255]
        return (0..<count).map { _ in
            Int.random(in: 0..<8, using: &rng) == 0 ? specials.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }
    }

    static func encode(_ value: RESPValue, into out: inout [UInt8], _ rng: inout SplitMix64) {
        switch value {
        case .simpleString(let text): out += Array("+\(text)\r\n".utf8)
        case .error(let text): out += Array("-\(text)\r\n".utf8)
        case .integer(let number): out += Array(":\(number)\r\n".utf8)
        case .null: out += Array((Bool.random(using: &rng) ? "$-1\r\n" : "*-1\r\n").utf8)
        case .bulkString(let bytes):
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        case .array(let elements):
            out += Array("*\(elements.count)\r\n".utf8)
            for element in elements { encode(element, into: &out, &rng) }
        }
    }

    // MARK: Feeding

    enum Outcome {
        case values([RESPValue])
        case error(RedisError, [RESPValue])
    }

    /// Feeds `bytes` in random chunks, taking every complete reply after each chunk. Each
    /// step consumes input or stops, so this always terminates.
    static func feed(_ bytes: [UInt8], _ rng: inout SplitMix64) -> Outcome {
        let reader = RESPReader()
        var values: [RESPValue] = []
        var offset = 0
        do {
            while offset < bytes.count {
                let size = Int.random(in: 1...max(1, Int.random(in: 0..<4, using: &rng) == 0 ? 512 : 16), using: &rng)
                let end = min(bytes.count, offset + size)
                var buffer = ByteBuffer()
                buffer.writeBytes(bytes[offset..<end])
                try reader.feed(buffer)
                offset = end
                var taken = 0
                while let value = try reader.next() {
                    values.append(value)
                    taken += 1
                    if taken > bytes.count + 1 { Issue.record("more replies than bytes: the reader is looping"); return .values(values) }
                }
            }
        } catch {
            return .error(error, values)
        }
        return .values(values)
    }

    // MARK: Properties

    @Test func randomRepliesRoundTripAndCorruptionNeverCrashes() {
        let seed = SplitMix64.fuzzSeed
        print("RESPFuzzTests seed \(seed) (replay with OFFLOAD_FUZZ_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        var stats = (valid: 0, truncated: 0, corrupted: 0, errors: 0, corruptedValues: 0)
        let started = ContinuousClock.now

        for index in 0..<Self.cases {
            let count = Int.random(in: 1...4, using: &rng)
            let values = (0..<count).map { _ in Self.randomValue(&rng) }
            var bytes: [UInt8] = []
            for value in values { Self.encode(value, into: &bytes, &rng) }

            switch index % 3 {
            case 0:
                // Valid stream: exactly the original values, in order.
                stats.valid += 1
                switch Self.feed(bytes, &rng) {
                case .values(let decoded):
                    #expect(decoded == values, "case \(index), seed \(seed)")
                case .error(let error, _):
                    Issue.record("valid stream failed: \(error) (case \(index), seed \(seed))")
                }
            case 1:
                // Truncated: a prefix of the values, and no error (the rest is "need more").
                stats.truncated += 1
                let cut = Int.random(in: 0..<bytes.count, using: &rng)
                switch Self.feed(Array(bytes[..<cut]), &rng) {
                case .values(let decoded):
                    #expect(decoded.count < values.count, "case \(index), seed \(seed)")
                    #expect(Array(values.prefix(decoded.count)) == decoded, "case \(index), seed \(seed)")
                case .error(let error, _):
                    Issue.record("a truncated valid stream is not an error: \(error) (case \(index), seed \(seed))")
                }
            default:
                // Corrupted (byte flips, maybe truncated too): a typed error or values, never a crash.
                stats.corrupted += 1
                var corrupted = bytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<corrupted.count, using: &rng)
                    corrupted[at] = Bool.random(using: &rng) ? corrupted[at] ^ (1 << UInt8.random(in: 0...7, using: &rng)) : UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { corrupted = Array(corrupted[..<Int.random(in: 0...corrupted.count, using: &rng)]) }
                switch Self.feed(corrupted, &rng) {
                case .values:
                    stats.corruptedValues += 1
                case .error(let error, _):
                    stats.errors += 1
                    switch error {
                    case .protocolError: break
                    default: Issue.record("unexpected error type \(error) (case \(index), seed \(seed))")
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        print("RESPFuzzTests: \(Self.cases) cases in \(elapsed): \(stats)")
    }

    /// A reader that reported a protocol error keeps reporting it (hiredis leaves the
    /// reader in its error state): the connection must be closed, and nothing hangs.
    @Test func aReaderInErrorStaysInError() throws {
        let reader = RESPReader()
        try reader.feed(Array("+OK\r\n!bogus\r\n".utf8))
        #expect(try reader.next() == .simpleString("OK"))
        #expect(throws: RedisError.self) { try reader.next() }
        #expect(throws: RedisError.self) {
            try reader.feed(Array("+OK\r\n".utf8))
            _ = try reader.next()
        }
    }

    /// A huge announced length just waits for bytes; it does not allocate or fail at once.
    @Test func hugeDeclaredLengthsWaitForMoreBytes() throws {
        let reader = RESPReader()
        try reader.feed(Array("$4294967296\r\nabc".utf8))
        #expect(try reader.next() == nil)
    }
}
