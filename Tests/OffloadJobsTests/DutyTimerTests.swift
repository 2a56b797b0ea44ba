import NIOConcurrencyHelpers
import Testing

@testable import OffloadWorker

/// The worker's watchdog sleeps until its next duty and is woken only by a sooner one.
@Suite(.timeLimit(.minutes(1))) struct DutyTimerTests {
    /// Sleeps in a task; `woke` turns true when it returns.
    private func sleeper(_ timer: DutyTimer, until due: ContinuousClock.Instant?) async -> (Task<Void, Never>, NIOLockedValueBox<Bool>) {
        let woke = NIOLockedValueBox(false)
        let seen = timer.changes
        let task = Task {
            await timer.wait(until: due, seen: seen)
            woke.withLockedValue { $0 = true }
        }
        try? await Task.sleep(for: .milliseconds(100))  // let it fall asleep
        return (task, woke)
    }

    @Test func aDutyDueSoonerWakesItAndALaterOneDoesNot() async {
        let timer = DutyTimer()
        let (task, woke) = await sleeper(timer, until: .now + .seconds(60))
        timer.schedule(.now + .seconds(120))
        try? await Task.sleep(for: .milliseconds(200))
        #expect(woke.withLockedValue { $0 } == false, "a later duty waits for the wake-up already set")
        timer.schedule(.now + .seconds(1))
        await task.value
        #expect(woke.withLockedValue { $0 })
    }

    @Test func withNothingDueItSleepsUntilADutyComes() async {
        let timer = DutyTimer()
        let (task, woke) = await sleeper(timer, until: nil)
        #expect(woke.withLockedValue { $0 } == false)
        timer.schedule(.now + .seconds(3600))
        await task.value
    }

    @Test func itWakesOnItsOwnWhenDue() async {
        let timer = DutyTimer()
        let started = ContinuousClock.now
        await timer.wait(until: .now + .milliseconds(50), seen: timer.changes)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
    }

    @Test func aDutyScheduledWhileAwakeIsNotMissed() async {
        let timer = DutyTimer()
        let seen = timer.changes
        timer.schedule(.now + .seconds(1))  // while the watchdog looks at its duties
        await timer.wait(until: nil, seen: seen)  // returns at once: it must look again
    }
}
