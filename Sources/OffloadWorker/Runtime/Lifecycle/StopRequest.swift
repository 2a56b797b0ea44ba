import NIOConcurrencyHelpers

/// The worker's one stop request (SIGTERM, or recycling), seen by every part: the claim
/// loop stops claiming, batches stop growing, the drain counts its grace period from it.
/// Parts that wait somewhere the request must interrupt register a wake-up with `onStop`.
final class StopRequest: Sendable {
    private struct State {
        var requestedAt: AnyClock.Instant?
        var wakeUps: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())
    private let clock: AnyClock

    init(clock: AnyClock) {
        self.clock = clock
    }

    var isRequested: Bool { state.withLockedValue { $0.requestedAt != nil } }

    /// When the stop was requested: the grace period counts from it.
    var requestedAt: AnyClock.Instant? { state.withLockedValue { $0.requestedAt } }

    /// Requests the stop and runs the wake-ups; false when it was requested before.
    @discardableResult
    func request() -> Bool {
        let now = clock.now
        let wakeUps = state.withLockedValue { state -> [@Sendable () -> Void]? in
            guard state.requestedAt == nil else { return nil }
            state.requestedAt = now
            defer { state.wakeUps.removeAll() }
            return state.wakeUps
        }
        guard let wakeUps else { return false }
        for wakeUp in wakeUps { wakeUp() }
        return true
    }

    /// Suspends for `duration` on the worker's clock, or until the stop is requested (or the
    /// task cancelled), whichever comes first: a retry's back-off never holds up a stop.
    func wait(upTo duration: Duration) async {
        let clock = self.clock
        let timer = Task { try? await clock.sleep(for: duration) }
        onStop { timer.cancel() }
        await withTaskCancellationHandler { await timer.value } onCancel: { timer.cancel() }
    }

    /// Runs `wakeUp` once the stop is requested (at once if it already was).
    func onStop(_ wakeUp: @escaping @Sendable () -> Void) {
        let alreadyRequested = state.withLockedValue { state in
            if state.requestedAt == nil { state.wakeUps.append(wakeUp) }
            return state.requestedAt != nil
        }
        if alreadyRequested { wakeUp() }
    }
}
