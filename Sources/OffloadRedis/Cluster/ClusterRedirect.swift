/// An error reply that means "not here, not now" rather than "failed": the command did
/// not run and is sent again.
enum ClusterRedirect: Equatable {
    /// The slot lives elsewhere for good: update the map, send it there.
    case moved(HashSlot, RedisEndpoint)
    /// The slot is being migrated and this key is already on the target: send `ASKING`
    /// and the command there, once, without changing the map.
    case ask(HashSlot, RedisEndpoint)
    /// A passing state (`TRYAGAIN` during a migration, `CLUSTERDOWN`, `LOADING`,
    /// `MASTERDOWN`, `READONLY` from a demoted primary, `UNBLOCKED` for a blocked command
    /// whose server was demoted): wait, re-read the map, retry.
    case retryLater

    init?(_ message: String) {
        let words = message.split(separator: " ", maxSplits: 3)
        guard let kind = words.first else { return nil }
        switch kind {
        case "MOVED", "ASK":
            guard words.count >= 3, let slot = UInt16(words[1]), Int(slot) < HashSlot.count, let endpoint = RedisEndpoint(words[2]) else {
                return nil
            }
            self = kind == "MOVED" ? .moved(HashSlot(slot), endpoint) : .ask(HashSlot(slot), endpoint)
        case "TRYAGAIN", "LOADING", "CLUSTERDOWN", "READONLY", "MASTERDOWN", "UNBLOCKED": self = .retryLater
        default: return nil
        }
    }

    init?(_ reply: RESPValue) {
        guard case .error(let message) = reply else { return nil }
        self.init(message)
    }
}

/// The pause before the next try of a command the deployment could not take yet: 10 ms
/// doubling to 500 ms, with jitter so clients do not retry in step.
struct RetryBackoff {
    private(set) var attempt = 0
    let deadline: ContinuousClock.Instant

    init(window: Duration) { deadline = .now + window }

    var expired: Bool { ContinuousClock.now >= deadline }

    mutating func pause() async {
        let base = min(500, 10 << min(attempt, 6))
        attempt += 1
        try? await Task.sleep(for: .milliseconds(Int.random(in: (base / 2)...base)))
    }
}
