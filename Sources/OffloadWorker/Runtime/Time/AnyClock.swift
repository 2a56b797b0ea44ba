/// Any `Clock<Duration>` behind one concrete instant type, so the runtime's parts keep
/// deadlines as plain values whichever clock drives them: `ContinuousClock` in a worker, a
/// clock that moves only when told to in tests. Its instants count from when it was made.
package struct AnyClock: Clock {
    package struct Instant: InstantProtocol {
        /// Time since the clock was made.
        let offset: Duration

        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }

        package static func + (instant: Instant, duration: Duration) -> Instant { instant.advanced(by: duration) }
        package static func - (later: Instant, earlier: Instant) -> Duration { earlier.duration(to: later) }
    }

    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (_ offset: Duration, _ tolerance: Duration?) async throws -> Void
    package let minimumResolution: Duration

    package init(_ base: some Clock<Duration>) {
        let origin = base.now
        elapsed = { origin.duration(to: base.now) }
        sleeper = { offset, tolerance in try await base.sleep(until: origin.advanced(by: offset), tolerance: tolerance) }
        minimumResolution = base.minimumResolution
    }

    package var now: Instant { Instant(offset: elapsed()) }

    /// Returns at `deadline` on the underlying clock; throws `CancellationError` as soon as
    /// the calling task is cancelled.
    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await sleeper(deadline.offset, tolerance)
    }
}

extension AnyClock {
    /// Runs `action` at `deadline` (at once if it has passed), unless the returned task is
    /// cancelled first: for code that wakes its own waiters.
    @discardableResult
    func run(at deadline: Instant, _ action: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        Task {
            guard (try? await sleep(until: deadline)) != nil else { return }
            action()
        }
    }

    /// `operation`'s result, or nil if `deadline` comes first (`operation` is then
    /// cancelled, and awaited: it must return promptly once cancelled).
    func value<Result: Sendable>(before deadline: Instant, of operation: @escaping @Sendable () async -> Result) async -> Result? {
        await withTaskGroup(of: Result?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                try? await sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
