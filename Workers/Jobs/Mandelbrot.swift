import Foundation
import OffloadWorker

/// Renders the Mandelbrot set as a palette PNG (encoded by hand in `PNG`), returned as
/// base64: CPU-bound, cancellable per row, progress per batch of rows.
struct Mandelbrot: CPUJob {
    static let name = "mandelbrot"
    static let defaultTimeoutSeconds: Int? = 600

    struct Input: Codable, Sendable {
        let width: Int
        let height: Int
        let maxIterations: Int
        /// The point at the image's centre; default -0.5 + 0i.
        let centerX: Double?
        let centerY: Double?
        /// Width of the view in the complex plane; default 3.
        let scale: Double?

        enum CodingKeys: String, CodingKey {
            case width, height, scale
            case maxIterations = "max_iterations"
            case centerX = "center_x"
            case centerY = "center_y"
        }
    }

    struct Output: Codable, Sendable, Equatable {
        let width: Int
        let height: Int
        let pngBase64: String
        let insidePoints: Int

        enum CodingKeys: String, CodingKey {
            case width, height
            case pngBase64 = "png_base64"
            case insidePoints = "inside_points"
        }
    }

    static let sizeRange = 1...4096
    static let iterationRange = 1...10_000

    func run(_ input: Input, context: JobContext) throws -> Output {
        guard Self.sizeRange.contains(input.width), Self.sizeRange.contains(input.height) else {
            throw PermanentJobError("width and height must be between 1 and \(Self.sizeRange.upperBound)")
        }
        guard Self.iterationRange.contains(input.maxIterations) else {
            throw PermanentJobError("max_iterations must be between 1 and \(Self.iterationRange.upperBound)")
        }
        let centerX = input.centerX ?? -0.5
        let centerY = input.centerY ?? 0
        let scale = input.scale ?? 3
        guard centerX.isFinite, centerY.isFinite else { throw PermanentJobError("center_x and center_y must be finite") }
        guard scale.isFinite, scale > 0 else { throw PermanentJobError("scale must be a positive number") }

        let image = try Self.render(
            width: input.width, height: input.height, maxIterations: input.maxIterations,
            centerX: centerX, centerY: centerY, scale: scale, context: context)
        let png = PNG.encodeIndexed(width: input.width, height: input.height, pixels: image.pixels, palette: Self.palette)
        return Output(
            width: input.width, height: input.height,
            pngBase64: Data(png).base64EncodedString(), insidePoints: image.inside)
    }

    /// Palette index per pixel: 0 (black) inside the set, 1...255 by escape time outside.
    static func render(
        width: Int, height: Int, maxIterations: Int, centerX: Double, centerY: Double, scale: Double,
        context: JobContext? = nil
    ) throws -> (pixels: [UInt8], inside: Int) {
        var pixels = [UInt8](repeating: 0, count: width * height)
        var inside = 0
        let step = scale / Double(width)  // square pixels
        let left = centerX - step * Double(width - 1) / 2
        let top = centerY + step * Double(height - 1) / 2
        let rowsPerReport = max(1, height / 10)
        for row in 0..<height {
            try context?.checkCancellation()
            let ci = top - Double(row) * step
            for column in 0..<width {
                let cr = left + Double(column) * step
                let iterations = escapeTime(cr, ci, maxIterations: maxIterations)
                if iterations == maxIterations {
                    inside += 1
                } else {
                    // sqrt spreads the many fast escapes over more of the palette.
                    let shade = (Double(iterations) / Double(maxIterations)).squareRoot()
                    pixels[row * width + column] = UInt8(1 + min(254, Int(shade * 254)))
                }
            }
            if let context, (row + 1) % rowsPerReport == 0, row + 1 < height {
                context.progress((row + 1) * 100 / height, "rendered \(row + 1) of \(height) rows")
            }
        }
        context?.progress(100, "rendered \(height) rows")
        return (pixels, inside)
    }

    /// Iterations before |z| > 2, or maxIterations if it never escapes.
    @inline(__always)
    static func escapeTime(_ cr: Double, _ ci: Double, maxIterations: Int) -> Int {
        // The main cardioid and the period-2 bulb are inside: skip the loop for them.
        let shifted = cr - 0.25
        let q = shifted * shifted + ci * ci
        if q * (q + shifted) <= 0.25 * ci * ci { return maxIterations }
        if (cr + 1) * (cr + 1) + ci * ci <= 0.0625 { return maxIterations }
        var zr = 0.0
        var zi = 0.0
        var zr2 = 0.0
        var zi2 = 0.0
        var iteration = 0
        while iteration < maxIterations && zr2 + zi2 <= 4 {
            zi = 2 * zr * zi + ci
            zr = zr2 - zi2 + cr
            zr2 = zr * zr
            zi2 = zi * zi
            iteration += 1
        }
        return iteration
    }

    /// Index 0 is black (inside); 1...255 a smooth gradient from dark blue to yellow.
    static let palette: [(UInt8, UInt8, UInt8)] = (0..<256).map { index in
        guard index > 0 else { return (0, 0, 0) }
        let t = Double(index - 1) / 254
        // Polynomial gradient: smooth, no lookup table to maintain.
        let red = 9 * (1 - t) * t * t * t
        let green = 15 * (1 - t) * (1 - t) * t * t
        let blue = 8.5 * (1 - t) * (1 - t) * (1 - t) * t
        func channel(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value * 255 + 20))) }
        return (channel(red), channel(green), channel(blue))
    }
}
