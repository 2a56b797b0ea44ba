import Foundation
import OffloadWorker
import Testing

@testable import offload_worker

/// Reads a PNG back with its own small CRC-32, Adler-32 and stored-block inflater, so the
/// job's encoder is checked by code it does not share.
struct DecodedPNG {
    var width = 0
    var height = 0
    var bitDepth = 0
    var colourType = 0
    var paletteEntries = 0
    var chunkTypes: [String] = []
    var scanlines: [UInt8] = []

    init(_ bytes: [UInt8]) throws {
        #expect(Array(bytes.prefix(8)) == [137, 80, 78, 71, 13, 10, 26, 10])
        var offset = 8
        var idat: [UInt8] = []
        while offset < bytes.count {
            let length = Int(Self.bigEndian(bytes, offset))
            let typeAndData = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let type = String(decoding: typeAndData.prefix(4), as: UTF8.self)
            let data = Array(typeAndData.dropFirst(4))
            #expect(Self.bigEndian(bytes, offset + 8 + length) == Self.bitwiseCRC32(typeAndData), "CRC of \(type)")
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                width = Int(Self.bigEndian(data, 0))
                height = Int(Self.bigEndian(data, 4))
                bitDepth = Int(data[8])
                colourType = Int(data[9])
                #expect(Array(data[10...12]) == [0, 0, 0])
            case "PLTE": paletteEntries = data.count / 3
            case "IDAT": idat += data
            default: break
            }
            offset += 12 + length
        }
        #expect(offset == bytes.count)
        scanlines = try Self.inflateStored(idat)
    }

    static func bigEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Bit by bit, no table: slow and obviously per the PNG spec's definition.
    static func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func naiveAdler32(_ bytes: [UInt8]) -> UInt32 {
        var a = 1
        var b = 0
        for byte in bytes {
            a = (a + Int(byte)) % 65521
            b = (b + a) % 65521
        }
        return UInt32(b << 16 | a)
    }

    struct Malformed: Error { let reason: String }

    static func inflateStored(_ stream: [UInt8]) throws -> [UInt8] {
        guard stream.count >= 6 else { throw Malformed(reason: "short zlib stream") }
        #expect(stream[0] & 0x0f == 8, "deflate")
        #expect((Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0, "header check bits")
        #expect(stream[1] & 0x20 == 0, "no preset dictionary")
        var offset = 2
        var output: [UInt8] = []
        var final = false
        while !final {
            let header = stream[offset]
            final = header & 1 == 1
            guard (header >> 1) & 3 == 0 else { throw Malformed(reason: "not a stored block") }
            let length = Int(stream[offset + 1]) | Int(stream[offset + 2]) << 8
            let complement = Int(stream[offset + 3]) | Int(stream[offset + 4]) << 8
            #expect(length ^ complement == 0xffff, "NLEN")
            output += stream[(offset + 5)..<(offset + 5 + length)]
            offset += 5 + length
        }
        #expect(bigEndian(stream, offset) == naiveAdler32(output), "Adler-32")
        #expect(offset + 4 == stream.count, "nothing after the checksum")
        return output
    }
}

@Suite struct MandelbrotTests {
    func render(_ input: Mandelbrot.Input) throws -> (Mandelbrot.Output, DecodedPNG) {
        let output = try Mandelbrot().run(input, context: .standalone())
        let png = try #require(Data(base64Encoded: output.pngBase64))
        return (output, try DecodedPNG(Array(png)))
    }

    @Test func producesAValidPNG() throws {
        // 300×301 rows of 301 bytes: more than 65535 bytes, so several stored blocks.
        let input = Mandelbrot.Input(width: 300, height: 301, maxIterations: 200, centerX: nil, centerY: nil, scale: nil)
        let (output, png) = try render(input)
        #expect(png.chunkTypes == ["IHDR", "PLTE", "IDAT", "IEND"])
        #expect(png.width == 300 && png.height == 301 && png.bitDepth == 8 && png.colourType == 3)
        #expect(png.paletteEntries == 256)
        #expect(png.scanlines.count == 301 * 301)
        var insideCount = 0
        for row in 0..<301 {
            #expect(png.scanlines[row * 301] == 0, "filter type none")
            insideCount += png.scanlines[(row * 301 + 1)..<((row + 1) * 301)].count { $0 == 0 }
        }
        #expect(output.insidePoints == insideCount)
        // The default view holds the whole set (area ≈ 1.5066 of a 3 × 3.01 view).
        let fraction = Double(output.insidePoints) / Double(300 * 301)
        #expect(abs(fraction - 1.5066 / (3 * 3.01)) < 0.02)
    }

    @Test func tinyAndZoomedImages() throws {
        let (one, png) = try render(.init(width: 1, height: 1, maxIterations: 50, centerX: nil, centerY: nil, scale: nil))
        #expect(png.scanlines == [0, 0] && one.insidePoints == 1)  // -0.5 is inside
        let (outside, _) = try render(.init(width: 8, height: 8, maxIterations: 50, centerX: 3, centerY: 3, scale: 0.1))
        #expect(outside.insidePoints == 0)
    }

    @Test func jsonFieldNames() throws {
        let input = try decode(
            Mandelbrot.Input.self, #"{"width":4,"height":3,"max_iterations":10,"center_x":0,"center_y":0,"scale":1}"#)
        let fields = try json(try Mandelbrot().run(input, context: .standalone()))
        #expect(Set(fields.keys) == ["width", "height", "png_base64", "inside_points"])
    }

    @Test func reportsProgressAndHonoursCancellation() throws {
        let log = ProgressLog()
        _ = try Mandelbrot().run(.init(width: 10, height: 100, maxIterations: 10, centerX: nil, centerY: nil, scale: nil), context: log.context())
        #expect(log.percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        #expect(throws: JobCancelledError.self) {
            try Mandelbrot().run(
                .init(width: 10, height: 10, maxIterations: 10, centerX: nil, centerY: nil, scale: nil),
                context: .standalone(cancelledWith: "cancelled"))
        }
    }

    @Test func rejectsBadInput() {
        let bad: [Mandelbrot.Input] = [
            .init(width: 0, height: 10, maxIterations: 10, centerX: nil, centerY: nil, scale: nil),
            .init(width: 10, height: 4097, maxIterations: 10, centerX: nil, centerY: nil, scale: nil),
            .init(width: 10, height: 10, maxIterations: 0, centerX: nil, centerY: nil, scale: nil),
            .init(width: 10, height: 10, maxIterations: 10_001, centerX: nil, centerY: nil, scale: nil),
            .init(width: 10, height: 10, maxIterations: 10, centerX: nil, centerY: nil, scale: 0),
            .init(width: 10, height: 10, maxIterations: 10, centerX: .nan, centerY: nil, scale: nil),
        ]
        for input in bad {
            #expect(throws: PermanentJobError.self) { try Mandelbrot().run(input, context: .standalone()) }
        }
    }
}

@Suite struct MatMulTests {
    @Test func matchesNaiveMultiplication() throws {
        let n = 17
        let (a, b) = MatMul.matrices(n: n, seed: 42)
        #expect(a.allSatisfy { (-1..<1).contains($0) } && b.allSatisfy { (-1..<1).contains($0) })
        #expect(a != b)
        // Plain i-j-k with a dot product per entry, independent of the job's loop order.
        var trace = 0.0
        var checksum = 0.0
        var naive = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += a[i * n + k] * b[k * n + j] }
                naive[i * n + j] = sum
                checksum += sum
                if i == j { trace += sum }
            }
        }
        let fast = try MatMul.multiply(a, b, n: n)
        for index in 0..<(n * n) { #expect(abs(fast[index] - naive[index]) < 1e-9) }

        let output = try MatMul().run(.init(n: n, seed: 42), context: .standalone())
        #expect(output.n == n)
        #expect(abs(output.trace - trace) < 1e-9)
        #expect(abs(output.checksum - checksum) < 1e-9)
    }

    @Test func isDeterministicPerSeed() throws {
        let first = try MatMul().run(.init(n: 33, seed: -7), context: .standalone())
        let again = try MatMul().run(.init(n: 33, seed: -7), context: .standalone())
        let other = try MatMul().run(.init(n: 33, seed: 8), context: .standalone())
        #expect(first == again)
        #expect(first != other)
        #expect(Set(try json(first).keys) == ["n", "trace", "checksum"])
    }

    @Test func reportsProgressAndHonoursCancellation() throws {
        let log = ProgressLog()
        _ = try MatMul().run(.init(n: 50, seed: 1), context: log.context())
        #expect(log.percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        #expect(throws: JobCancelledError.self) {
            try MatMul().run(.init(n: 50, seed: 1), context: .standalone(cancelledWith: "cancelled"))
        }
    }

    @Test func rejectsBadInput() {
        for n in [0, -1, 2049] {
            #expect(throws: PermanentJobError.self) { try MatMul().run(.init(n: n, seed: 0), context: .standalone()) }
        }
    }
}
