import OffloadWorker

/// Multiplies two seeded pseudo-random n×n matrices of Doubles: dense floating-point
/// CPU work with a deterministic answer (trace and sum of the product).
struct MatMul: CPUJob {
    static let name = "matmul"
    static let defaultTimeoutSeconds: Int? = 600

    struct Input: Codable, Sendable {
        let n: Int
        let seed: Int
    }

    struct Output: Codable, Sendable, Equatable {
        let n: Int
        let trace: Double
        let checksum: Double
    }

    static let sizeRange = 1...2048

    func run(_ input: Input, context: JobContext) throws -> Output {
        guard Self.sizeRange.contains(input.n) else {
            throw PermanentJobError("n must be between 1 and \(Self.sizeRange.upperBound)")
        }
        let n = input.n
        let (a, b) = Self.matrices(n: n, seed: input.seed)
        let c = try Self.multiply(a, b, n: n, context: context)
        var trace = 0.0
        for index in 0..<n { trace += c[index * n + index] }
        return Output(n: n, trace: trace, checksum: c.reduce(0, +))
    }

    /// A then B, row-major, filled from one SplitMix64 stream with values in [-1, 1).
    static func matrices(n: Int, seed: Int) -> (a: [Double], b: [Double]) {
        var state = UInt64(bitPattern: Int64(seed))
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            // Top 53 bits give a uniform double in [0, 1).
            return Double(z >> 11) * 0x1p-53 * 2 - 1
        }
        let a = (0..<(n * n)).map { _ in next() }
        let b = (0..<(n * n)).map { _ in next() }
        return (a, b)
    }

    /// C = A×B in i-k-j order: the inner loop walks rows of B and C contiguously.
    static func multiply(_ a: [Double], _ b: [Double], n: Int, context: JobContext? = nil) throws -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        let rowsPerReport = max(1, n / 10)
        try a.withUnsafeBufferPointer { a in
            try b.withUnsafeBufferPointer { b in
                try c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        try context?.checkCancellation()
                        let cRow = i * n
                        for k in 0..<n {
                            let aik = a[i * n + k]
                            let bRow = k * n
                            for j in 0..<n { c[cRow + j] += aik * b[bRow + j] }
                        }
                        if let context, (i + 1) % rowsPerReport == 0, i + 1 < n {
                            context.progress((i + 1) * 100 / n, "\(i + 1) of \(n) rows")
                        }
                    }
                }
            }
        }
        context?.progress(100, "\(n) rows")
        return c
    }
}
