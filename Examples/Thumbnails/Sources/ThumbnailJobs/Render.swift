extension Thumbnail {
    /// Renders the image an input describes and hashes it: the whole work of a thumbnail
    /// job, kept free of Offload so a test can check a worker's result by computing it again.
    ///
    /// The image is a few soft coloured lights at places picked by the seed, with a little
    /// per-pixel grain. Integer arithmetic only, so every platform renders the same bytes.
    public static func render(_ input: Input) -> Output {
        render(input, afterRow: { _ in })
    }

    /// ``render(_:)``, calling `afterRow` with the number of rows done after each row: the
    /// worker reports progress and checks for cancellation there.
    public static func render(_ input: Input, afterRow: (Int) throws -> Void) rethrows -> Output {
        precondition(widths.contains(input.width), "width \(input.width) is outside \(widths)")
        let width = input.width
        var random = SplitMix64(seed: input.seed)
        let lights = (0..<4).map { _ in Light(random: &random, width: width) }
        var hash = FNV1a()
        var row = [UInt8](repeating: 0, count: width * 3)
        for y in 0..<width {
            for x in 0..<width {
                var red = 0, green = 0, blue = 0
                for light in lights {
                    let weight = light.weight(x: x, y: y)
                    red += light.red * weight >> 8
                    green += light.green * weight >> 8
                    blue += light.blue * weight >> 8
                }
                // Grain from the pixel's own hash: a pure function of seed and position.
                let grain = Int(SplitMix64.mix(input.seed &+ UInt64(y * width + x)) & 0x0F)
                row[x * 3] = UInt8(min(255, red + grain))
                row[x * 3 + 1] = UInt8(min(255, green + grain))
                row[x * 3 + 2] = UInt8(min(255, blue + grain))
            }
            hash.add(row)
            try afterRow(y + 1)
        }
        return Output(checksum: hash.hexDigest, pixels: width * width)
    }
}

/// One light of the image: a centre, a radius and a colour.
private struct Light {
    let x: Int, y: Int
    /// The radius squared, at least 1.
    let radiusSquared: Int
    let red: Int, green: Int, blue: Int

    init(random: inout SplitMix64, width: Int) {
        x = Int(random.next() % UInt64(width))
        y = Int(random.next() % UInt64(width))
        let radius = 1 + Int(random.next() % UInt64(max(1, width / 3)))
        radiusSquared = radius * radius
        red = Int(random.next() % 256)
        green = Int(random.next() % 256)
        blue = Int(random.next() % 256)
    }

    /// 256 at the centre, 128 at the radius, falling towards 0 far away.
    func weight(x pixelX: Int, y pixelY: Int) -> Int {
        let dx = pixelX - x, dy = pixelY - y
        return radiusSquared * 256 / (radiusSquared + dx * dx + dy * dy)
    }
}

/// Sebastiano Vigna's SplitMix64: a tiny, fast generator whose whole state is one number.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }

    /// The generator's output for a given state: a good 64-bit hash of `value` on its own.
    static func mix(_ value: UInt64) -> UInt64 { finalize(value &+ 0x9E37_79B9_7F4A_7C15) }

    private static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The 64-bit FNV-1a hash: simple, byte at a time, good enough to tell images apart.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
