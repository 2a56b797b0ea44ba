import NIOConcurrencyHelpers
import OffloadRedis

/// The rule "a worker serves this type", in one place: every submit through the engine
/// (the API, the CLI, schedules, `OffloadClient`) asks it, unless the submit says
/// `allowUnknownType`. It knows the job types workers have published, re-read from Redis at most once a second so a
/// submit costs no extra round trip. A type missing from the cache triggers a re-read (a
/// worker may have published it just now), but at most one per `missRetry`: a flood of
/// submits of unknown types, or a batch of a thousand of them, costs Redis a few reads,
/// not one each.
package final class JobTypeCatalog: Sendable {
    private struct Cache {
        var types: Set<String> = []
        var loadedAt: ContinuousClock.Instant? = nil
        /// When the last read started, whether or not it succeeded.
        var lastReadAt: ContinuousClock.Instant? = nil
    }

    private let load: @Sendable () async throws(OffloadError) -> Set<String>
    private let cache = NIOLockedValueBox(Cache())
    private let maxAge: Duration
    private let missRetry: Duration

    /// Reads the types workers published in the hash `key`.
    convenience init(redis: RedisClient, key: String, maxAge: Duration = .seconds(1), missRetry: Duration = .milliseconds(100)) {
        self.init(maxAge: maxAge, missRetry: missRetry) { () async throws(OffloadError) in
            do throws(RedisError) {
                let reply = try await redis.send("HKEYS", .string(key))
                return Set((reply.array ?? []).compactMap(\.string))
            } catch {
                throw OffloadError(error)
            }
        }
    }

    /// `load` reads the published types.
    package init(maxAge: Duration, missRetry: Duration, load: @escaping @Sendable () async throws(OffloadError) -> Set<String>) {
        self.load = load
        self.maxAge = maxAge
        self.missRetry = missRetry
    }

    /// Throws `unknownJobType` unless some worker serves `type`.
    package func requireKnown(_ type: String) async throws(OffloadError) {
        enum Next { case known, unknown, read }
        let now = ContinuousClock.now
        let next: Next = cache.withLockedValue { cache in
            let fresh = cache.loadedAt.map { now - $0 < maxAge } ?? false
            if fresh && cache.types.contains(type) { return .known }
            // A read started just now: the types last read stand until it answers.
            if let last = cache.lastReadAt, now - last < missRetry, cache.loadedAt != nil {
                return cache.types.contains(type) ? .known : .unknown
            }
            cache.lastReadAt = now
            return .read
        }
        switch next {
        case .known: return
        case .unknown: throw Self.unknown(type)
        case .read:
            let types = try await load()
            cache.withLockedValue { cache in
                cache.types = types
                cache.loadedAt = .now
            }
            guard types.contains(type) else { throw Self.unknown(type) }
        }
    }

    private static func unknown(_ type: String) -> OffloadError {
        OffloadError(.unknownJobType, "no worker serves job type '\(type.prefix(128))'")
    }
}
