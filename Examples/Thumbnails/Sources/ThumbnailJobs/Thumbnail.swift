import Offload

/// A thumbnail job: render a `width`×`width` procedural image from `seed` and report its
/// checksum. The app submits it, the worker runs it; both import this module, so the job's
/// name and the shapes of its input and output are written once.
public struct Thumbnail: JobDefinition {
    public static let name = "thumbnail"
    /// A worker kills a run past this; the largest image takes a few seconds even in a debug build.
    public static let defaultTimeoutSeconds: Int? = 60

    /// Sides the worker accepts: from one pixel to 2048, about 4 million pixels.
    public static let widths = 1...2048

    public struct Input: Codable, Sendable, Hashable {
        /// The side of the square image, in pixels.
        public var width: Int
        /// Picks the image: the same seed always renders the same pixels. JSON clients
        /// other than Swift's should keep it below 2^53, the integers a double holds exactly.
        public var seed: UInt64

        public init(width: Int, seed: UInt64) {
            self.width = width
            self.seed = seed
        }
    }

    public struct Output: Codable, Sendable, Hashable {
        /// The image's RGB bytes hashed with FNV-1a, as 16 hex digits.
        public var checksum: String
        /// How many pixels were rendered (`width * width`).
        public var pixels: Int

        public init(checksum: String, pixels: Int) {
            self.checksum = checksum
            self.pixels = pixels
        }
    }

    public init() {}
}
