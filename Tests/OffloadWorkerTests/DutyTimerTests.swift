import NIOConcurrencyHelpers
import OffloadTestSupport
import Testing

@testable import OffloadWorker

/// The worker's watchdog sleeps until its next duty and is woken only by a sooner one.
@Suite(.timeLimit(.minutes(1))) struct DutyTimerTests {
    let clock = TestClock()
    let timer: DutyTimer

    init() {
        timer = DutyTimer(clock: AnyClock(clock))
    }

    /// `offset` from the start of the test clock, on the timer's clock.
    private func at(_ offset: Duration) -> AnyClock.Instant { AnyClock.Instant(offset: offset) }

    /// Sleeps in a task until it is asleep; `woke` turns true when it returns.
    private func sleeper(until due: AnyClock.Instant?) async throws -> (Task<Void, Never>, NIOLockedValueBox<Bool>) {
        let woke = NIOLockedValueBox(false)
        let seen = timer.changes
        let task = Task { [timer] in
            await timer.wait(until: due, seen: seen)
            woke.withLockedValue { $0 = true }
        }
        try await waitUntil("the timer falls asleep") { timer.isAsleep }
        if let due { try await clock.waitForSleepers("its wake-up is set") { $0 == [TestClock.Instant(offset: due.offset)] } }
        return (task, woke)
    }

    @Test func aDutyDueSoonerWakesItAndALaterOneDoesNot() async throws {
        let (task, woke) = try await sleeper(until: at(.seconds(60)))
        timer.schedule(at(.seconds(120)))
        #expect(timer.isAsleep, "a later duty waits for the wake-up already set")
        #expect(woke.withLockedValue { $0 } == false)
        #expect(clock.sleeperDeadlines == [TestClock.Instant(offset: .seconds(60))])
        timer.schedule(at(.seconds(1)))
        await task.value
        #expect(woke.withLockedValue { $0 })
    }

    @Test func withNothingDueItSleepsUntilADutyComes() async throws {
        let (task, woke) = try await sleeper(until: nil)
        #expect(woke.withLockedValue { $0 } == false)
        #expect(clock.sleeperDeadlines.isEmpty, "no timer while nothing is due")
        timer.schedule(at(.seconds(3600)))
        await task.value
    }

    @Test func itWakesOnItsOwnWhenDue() async throws {
        let (task, woke) = try await sleeper(until: at(.milliseconds(50)))
        clock.advance(by: .milliseconds(49))
        #expect(timer.isAsleep && !woke.withLockedValue { $0 }, "not before it is due")
        clock.advance(by: .milliseconds(1))
        await task.value
        #expect(clock.now.offset >= .milliseconds(50))
    }

    @Test func aDutyScheduledWhileAwakeIsNotMissed() async {
        let seen = timer.changes
        timer.schedule(at(.seconds(1)))  // while the watchdog looks at its duties
        await timer.wait(until: nil, seen: seen)  // returns at once: it must look again
    }
}
