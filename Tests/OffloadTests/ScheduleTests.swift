import Foundation
import Logging
import OffloadRedis
import OffloadTestSupport
import Testing

@testable import Offload

/// Cron expressions, and schedules fired by any number of processes: one job per
/// occurrence.
@Suite struct ScheduleTests {
    /// 2026-03-02 (a Monday) 00:00 UTC, in ms.
    static let monday: Int64 = 1_772_409_600_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    @Test func cronFieldsMatchTheMinutesTheyName() throws {
        let everyFive = try CronExpression("*/5\t* *  * *")  // any whitespace between fields
        #expect(everyFive.text == "*/5 * * * *")
        #expect(everyFive.matches(minuteStartingAt: Self.monday + 10 * Self.minute))
        #expect(!everyFive.matches(minuteStartingAt: Self.monday + 11 * Self.minute))
        let weekdayMornings = try CronExpression("30 9 * * mon-fri")
        #expect(weekdayMornings.matches(minuteStartingAt: Self.monday + 9 * Self.hour + 30 * Self.minute))
        #expect(!weekdayMornings.matches(minuteStartingAt: Self.monday + 5 * Self.day + 9 * Self.hour + 30 * Self.minute), "Saturday")
        // Both day fields restricted: either one matches, as in cron.
        let firstOrSunday = try CronExpression("0 0 1 * 0")
        #expect(firstOrSunday.matches(minuteStartingAt: Self.monday - Self.day), "Sunday 1 March")
        #expect(firstOrSunday.matches(minuteStartingAt: Self.monday + 6 * Self.day), "Sunday 8 March")
        #expect(!firstOrSunday.matches(minuteStartingAt: Self.monday + 2 * Self.day))
        let sundaySeven = try CronExpression("0 12 * * 7")
        #expect(sundaySeven.matches(minuteStartingAt: Self.monday + 6 * Self.day + 12 * Self.hour), "7 is Sunday too")
        let lists = try CronExpression("0,15 8-10/2 * jan,MAR *")
        #expect(lists.matches(minuteStartingAt: Self.monday + 10 * Self.hour + 15 * Self.minute))
        #expect(!lists.matches(minuteStartingAt: Self.monday + 9 * Self.hour))
    }

    @Test func nextSkipsToTheFirstMatchingMinute() throws {
        let daily = try CronExpression("0 3 * * *")
        #expect(daily.next(after: Self.monday) == Self.monday + 3 * Self.hour)
        #expect(daily.next(after: Self.monday + 3 * Self.hour) == Self.monday + Self.day + 3 * Self.hour)
        let leapDay = try CronExpression("0 0 29 2 *")
        #expect(leapDay.next(after: Self.monday) == 1_835_395_200_000, "29 February 2028")
        #expect(try CronExpression("0 0 30 2 *").next(after: Self.monday) == nil, "30 February never comes")
    }

    @Test func badCronIsRefusedNamingTheField() {
        for (text, words) in [
            ("* * * *", "5 fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"), ("* * * * 8", "day of week"), ("*/0 * * * *", "minute"), ("5-1 * * * *", "minute"),
            ("* * * foo *", "month"), ("1,,2 * * * *", "minute"),
        ] {
            do {
                _ = try CronExpression(text)
                Issue.record("'\(text)' was taken")
            } catch {
                #expect(error.code == .invalid && error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test func eachOccurrenceIsOneJobHoweverManyProcessesFireIt() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.publishJobTypes(["test.echo"])  // a worker serves it
            engine.clock.advance(by: .milliseconds(Self.nextTenMinutes(engine.clock.nowMilliseconds()) - engine.clock.nowMilliseconds()))
            try await engine.inspector.setSchedule(JobSchedule(name: "tick", everySeconds: 10, type: "test.echo", payload: #"{"n":1}"#, queue: "q"))
            let (siblingBroker, siblingClient) = try engine.sibling()
            let firers = [ScheduleFirer(broker: engine.broker, logger: Logger(label: "a")), ScheduleFirer(broker: siblingBroker, logger: Logger(label: "b"))]
            var created = 0
            for _ in 0..<3 {
                for firer in firers { created += try await firer.fireDue().count }
            }
            #expect(created == 1)
            #expect(try await engine.counts().pending == 1)
            let job = try #require(try await engine.inspector.jobs(queue: "q", state: .pending).jobs.first)
            #expect(job.type == "test.echo" && job.payload == .object(["n": .number(1)]))

            engine.clock.advance(by: .seconds(9))
            for firer in firers { created += try await firer.fireDue().count }
            #expect(created == 1, "the same interval")
            engine.clock.advance(by: .seconds(1))
            for firer in firers { created += try await firer.fireDue().count }
            #expect(created == 2, "the next one")

            try await engine.inspector.removeSchedule("tick")
            engine.clock.advance(by: .seconds(10))
            for firer in firers { created += try await firer.fireDue().count }
            #expect(created == 2, "a removed schedule fires no more")
            await expectOffloadError(.notFound) { try await engine.inspector.removeSchedule("tick") }
            await siblingClient.shutdown()
        }
    }

    @Test func cronSchedulesFireOnTheirMinutesAndListTheNextRun() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.publishJobTypes(["test.echo"])  // a worker serves it
            let start = Self.nextTenMinutes(engine.clock.nowMilliseconds())
            engine.clock.advance(by: .milliseconds(start - engine.clock.nowMilliseconds()))
            try await engine.inspector.setSchedule(JobSchedule(name: "five", cron: "*/5 * * * *", type: "test.echo", queue: "q"))
            let firer = ScheduleFirer(broker: engine.broker, logger: Logger(label: "a"))
            #expect(try await firer.fireDue().count == 1)
            engine.clock.advance(by: .seconds(30))
            #expect(try await firer.fireDue().isEmpty)
            engine.clock.advance(by: .seconds(60))
            #expect(try await firer.fireDue().isEmpty, "minute 1 is not a fifth")
            let listed = try #require(try await engine.inspector.schedules().first)
            #expect(listed.schedule.cron == "*/5 * * * *")
            #expect(listed.nextRunAt == Date(timeIntervalSince1970: Double(start + 5 * Self.minute) / 1000))
            engine.clock.advance(by: .milliseconds(5 * Self.minute - 90_000))
            #expect(try await firer.fireDue().count == 1)
        }
    }

    /// A process that starts (or restarts) mid-interval does not submit the interval already
    /// under way, and an occurrence is never submitted twice, even once its job is gone.
    @Test func lateProcessesNeitherCatchUpNorRepeat() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.publishJobTypes(["test.echo"])  // a worker serves it
            let hour = Self.hour
            let start = (engine.clock.nowMilliseconds() / hour + 1) * hour
            engine.clock.advance(by: .milliseconds(start - engine.clock.nowMilliseconds()))
            try await engine.inspector.setSchedule(JobSchedule(name: "hourly", everySeconds: 3600, type: "test.echo", queue: "q"))
            let first = ScheduleFirer(broker: engine.broker, logger: Logger(label: "a"))
            let fired = try await first.fireDue()
            #expect(fired.count == 1)
            // Its job finishes and is deleted; a process restarted a moment later does not
            // submit the same occurrence again.
            #expect(try await engine.inspector.purge(queue: "q", state: .pending) == 1)
            engine.clock.advance(by: .milliseconds(500))
            #expect(try await ScheduleFirer(broker: engine.broker, logger: Logger(label: "b")).fireDue().isEmpty)
            // Half an hour in, a new process leaves the hour alone.
            engine.clock.advance(by: .seconds(1800))
            #expect(try await ScheduleFirer(broker: engine.broker, logger: Logger(label: "c")).fireDue().isEmpty)
            #expect(try await engine.storedJobCount() == 0)
        }
    }

    /// A look that comes a little late (a loaded machine) still submits every occurrence
    /// since the last one.
    @Test func aLateLookSubmitsTheOccurrencesItPassed() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.publishJobTypes(["test.echo"])  // a worker serves it
            let second: Int64 = 1000
            let boundary = (engine.clock.nowMilliseconds() / second + 2) * second
            engine.clock.advance(by: .milliseconds(boundary + 998 - engine.clock.nowMilliseconds()))
            try await engine.inspector.setSchedule(JobSchedule(name: "tick", everySeconds: 1, type: "test.echo", queue: "q"))
            let firer = ScheduleFirer(broker: engine.broker, logger: Logger(label: "a"))
            #expect(try await firer.fireDue().count == 1)
            engine.clock.advance(by: .milliseconds(1002))
            #expect(try await firer.fireDue().count == 2, "the second it slept through, and the current one")
        }
    }

    /// A schedule whose type no worker serves any more submits nothing (nobody would run it).
    @Test func aTypeNoWorkerServesIsSkipped() async throws {
        try await TestEngine.with { engine in
            try await engine.broker.publishJobTypes(["test.echo"])
            try await engine.inspector.setSchedule(
                JobSchedule(name: "old", everySeconds: 1, type: "retired.type", queue: "q"), allowUnknownType: true)
            try await engine.inspector.setSchedule(JobSchedule(name: "live", everySeconds: 1, type: "test.echo", queue: "q"))
            let fired = try await ScheduleFirer(broker: engine.broker, logger: Logger(label: "a")).fireDue()
            #expect(fired.count == 1)
            #expect(try await engine.inspector.jobs(queue: "q", state: .pending).jobs.map(\.type) == ["test.echo"])
        }
    }

    /// Like a submit: a type no worker serves is refused unless the caller allows it.
    @Test func aScheduleOfATypeNoWorkerServesIsRefused() async throws {
        try await TestEngine.with { engine in
            let schedule = JobSchedule(name: "early", everySeconds: 60, type: "not.deployed", queue: "q")
            await #expect(throws: OffloadError(.unknownJobType, "no worker serves job type 'not.deployed'")) {
                try await engine.inspector.setSchedule(schedule)
            }
            #expect(try await engine.inspector.schedules().isEmpty)
            try await engine.inspector.setSchedule(schedule, allowUnknownType: true)
            #expect(try await engine.inspector.schedules().map(\.schedule.name) == ["early"])
        }
    }

    @Test func invalidSchedulesAreRefused() async throws {
        try await TestEngine.with { engine in
            let bad = [
                JobSchedule(name: "both", cron: "* * * * *", everySeconds: 5, type: "test.echo"),
                JobSchedule(name: "neither", type: "test.echo"),
                JobSchedule(name: "zero", everySeconds: 0, type: "test.echo"),
                JobSchedule(name: "no spaces", everySeconds: 5, type: "test.echo"),
                JobSchedule(name: "cron", cron: "61 * * * *", type: "test.echo"),
                JobSchedule(name: "payload", everySeconds: 5, type: "test.echo", payload: "[1]"),
                JobSchedule(name: "priority", everySeconds: 5, type: "test.echo", priority: 5000),
                JobSchedule(name: "queue", everySeconds: 5, type: "test.echo", queue: "a.b"),
            ]
            for schedule in bad {
                await expectOffloadError(.invalid) { try await engine.inspector.setSchedule(schedule) }
            }
            let stored = try await engine.inspector.schedules()
            #expect(stored.isEmpty)
        }
    }

    static func nextTenMinutes(_ now: Int64) -> Int64 {
        (now / (10 * minute) + 1) * 10 * minute
    }
}
