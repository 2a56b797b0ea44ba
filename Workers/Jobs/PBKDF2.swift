import Crypto
import OffloadWorker

/// PBKDF2-HMAC-SHA256 (RFC 8018, section 5.2), written out over Crypto's HMAC so the
/// iteration count is ours to report progress on and cancel.
struct PBKDF2: CPUJob {
    static let name = "pbkdf2"
    static let defaultTimeoutSeconds: Int? = 600

    struct Input: Codable, Sendable {
        let password: String
        let salt: String
        let iterations: Int
        let keyLength: Int

        enum CodingKeys: String, CodingKey {
            case password, salt, iterations
            case keyLength = "key_length"
        }
    }

    struct Output: Codable, Sendable, Equatable {
        let derivedKey: String

        enum CodingKeys: String, CodingKey {
            case derivedKey = "derived_key"
        }
    }

    static let iterationRange = 1...10_000_000
    static let keyLengthRange = 1...128

    func run(_ input: Input, context: JobContext) throws -> Output {
        guard Self.iterationRange.contains(input.iterations) else {
            throw PermanentJobError(
                "iterations must be between \(Self.iterationRange.lowerBound) and \(Self.iterationRange.upperBound)")
        }
        guard Self.keyLengthRange.contains(input.keyLength) else {
            throw PermanentJobError(
                "key_length must be between \(Self.keyLengthRange.lowerBound) and \(Self.keyLengthRange.upperBound)")
        }
        let key = try Self.derive(
            password: Array(input.password.utf8), salt: Array(input.salt.utf8),
            iterations: input.iterations, keyLength: input.keyLength, context: context)
        return Output(derivedKey: Hex.encode(key))
    }

    static func derive(
        password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int, context: JobContext? = nil
    ) throws -> [UInt8] {
        let hashLength = SHA256.byteCount
        let blockCount = (keyLength + hashLength - 1) / hashLength
        // The keyed HMAC state is computed once and copied for every PRF call.
        let keyed = HMAC<SHA256>(key: SymmetricKey(data: password))
        let totalRounds = blockCount * iterations
        let step = max(1, totalRounds / 10)
        let checkEvery = 1 << 13
        var roundsDone = 0
        var derived: [UInt8] = []
        derived.reserveCapacity(blockCount * hashLength)

        for blockIndex in 1...blockCount {
            // U1 = PRF(P, S || INT_32_BE(i))
            var prf = keyed
            prf.update(data: salt)
            prf.update(data: [
                UInt8(truncatingIfNeeded: blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex),
            ])
            var u = Array(prf.finalize())
            var block = u
            roundsDone += 1
            for _ in stride(from: 2, through: iterations, by: 1) {
                // Uj = PRF(P, U(j-1)); T = U1 ^ U2 ^ ... ^ Uc
                var next = keyed
                u.withUnsafeBytes { next.update(data: $0) }
                next.finalize().withUnsafeBytes { mac in
                    for index in 0..<hashLength { u[index] = mac[index] }
                }
                for index in 0..<hashLength { block[index] ^= u[index] }
                roundsDone += 1
                if roundsDone % checkEvery == 0 { try context?.checkCancellation() }
                if let context, roundsDone % step == 0, roundsDone < totalRounds {
                    context.progress(roundsDone * 100 / totalRounds, "\(roundsDone) of \(totalRounds) HMAC rounds")
                }
            }
            derived.append(contentsOf: block)
        }
        context?.progress(100, "derived \(keyLength) bytes")
        return Array(derived.prefix(keyLength))
    }
}
