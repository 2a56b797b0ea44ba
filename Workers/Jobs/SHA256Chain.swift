import Crypto
import OffloadWorker

/// Hashes a seed with SHA-256, then hashes the 32-byte digest again, n times in all:
/// inherently sequential CPU work whose answer anyone can check.
struct SHA256Chain: CPUJob {
    static let name = "sha256-chain"
    static let defaultTimeoutSeconds: Int? = 600

    struct Input: Codable, Sendable {
        let seed: String
        let iterations: Int
    }

    struct Output: Codable, Sendable, Equatable {
        let digest: String
        let iterations: Int
    }

    static let iterationRange = 1...50_000_000

    func run(_ input: Input, context: JobContext) throws -> Output {
        guard Self.iterationRange.contains(input.iterations) else {
            throw PermanentJobError(
                "iterations must be between \(Self.iterationRange.lowerBound) and \(Self.iterationRange.upperBound)")
        }
        let digest = try Self.chain(seed: input.seed, iterations: input.iterations, context: context)
        return Output(digest: Hex.encode(digest), iterations: input.iterations)
    }

    /// h1 = SHA256(seed), h(i+1) = SHA256(h(i)); returns h(iterations).
    static func chain(seed: String, iterations: Int, context: JobContext? = nil) throws -> [UInt8] {
        var digest = Array(SHA256.hash(data: Array(seed.utf8)))
        let step = max(1, iterations / 10)
        let checkEvery = 1 << 14  // a few ms of hashing between cancellation checks
        for index in 1..<max(1, iterations) {
            var hasher = SHA256()
            digest.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            // Copy into the existing array: no allocation per round.
            hasher.finalize().withUnsafeBytes { bytes in
                digest.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            }
            if index % checkEvery == 0 { try context?.checkCancellation() }
            if let context, (index + 1) % step == 0, index + 1 < iterations {
                context.progress((index + 1) * 100 / iterations, "\(index + 1) of \(iterations) hashes")
            }
        }
        context?.progress(100, "\(iterations) hashes")
        return digest
    }
}
