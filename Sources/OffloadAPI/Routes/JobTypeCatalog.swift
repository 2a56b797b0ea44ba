import NIOConcurrencyHelpers
import OffloadCore

/// The job types workers have published, re-read from Redis at most once a second so a
/// submit costs no extra round trip.
final class JobTypeCatalog: Sendable {
    private let inspector: Inspector
    private let cache = NIOLockedValueBox<(types: Set<String>, loadedAt: ContinuousClock.Instant)?>(nil)
    private let maxAge: Duration

    init(inspector: Inspector, maxAge: Duration = .seconds(1)) {
        self.inspector = inspector
        self.maxAge = maxAge
    }

    func requireKnown(_ type: String) async throws(OffloadError) {
        if let cached = cache.withLockedValue({ $0 }), ContinuousClock.now - cached.loadedAt < maxAge, cached.types.contains(type) {
            return
        }
        // Unknown in the cache: maybe a worker published it just now.
        let types = try await inspector.jobTypes()
        cache.withLockedValue { $0 = (types, .now) }
        guard types.contains(type) else {
            throw OffloadError(.unknownJobType, "no worker serves job type '\(type.prefix(128))'")
        }
    }
}
