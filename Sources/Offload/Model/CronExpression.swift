import Foundation

/// A five-field cron expression, read in UTC: minute, hour, day of month, month, day of
/// week. Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a list of
/// those; months and days may be named (`jan`, `mon`), and Sunday is 0 or 7. As in cron,
/// when both day fields are restricted a day matching either one matches; a day field that
/// starts with `*` (`*/2` too) counts as unrestricted, as in Vixie cron.
package struct CronExpression: Sendable, Hashable {
    package let text: String
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let daysOfMonth: Set<Int>
    private let months: Set<Int>
    private let daysOfWeek: Set<Int>
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool

    package init(_ text: String) throws(OffloadError) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw OffloadError(invalid: "cron", "needs 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        self.text = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        daysOfMonth = try Self.field(fields[2], "day of month", 1...31)
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames)
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Whether the minute that starts at `milliseconds` (since the epoch, UTC) is one of
    /// the expression's.
    package func matches(minuteStartingAt milliseconds: Int64) -> Bool {
        let time = Self.calendarTime(milliseconds)
        return minutes.contains(time.minute) && hours.contains(time.hour) && months.contains(time.month) && dayMatches(time)
    }

    /// The first matching minute after `milliseconds`, if there is one within five years
    /// (`0 0 30 2 *` never comes). Skips whole days and hours that cannot match, so it
    /// takes a few hundred steps at most.
    package func next(after milliseconds: Int64) -> Int64? {
        var candidate = (milliseconds / 60_000 + 1) * 60_000
        let limit = milliseconds + 5 * 366 * 86_400_000
        while candidate <= limit {
            let time = Self.calendarTime(candidate)
            if !months.contains(time.month) || !dayMatches(time) {
                candidate = (candidate / 86_400_000 + 1) * 86_400_000  // next day, 00:00
            } else if !hours.contains(time.hour) {
                candidate = (candidate / 3_600_000 + 1) * 3_600_000  // next hour, :00
            } else if !minutes.contains(time.minute) {
                candidate += 60_000
            } else {
                return candidate
            }
        }
        return nil
    }

    private func dayMatches(_ time: CalendarTime) -> Bool {
        let byMonthDay = daysOfMonth.contains(time.dayOfMonth)
        let byWeekDay = daysOfWeek.contains(time.dayOfWeek)
        if dayOfMonthRestricted && dayOfWeekRestricted { return byMonthDay || byWeekDay }
        return byMonthDay && byWeekDay
    }

    private struct CalendarTime {
        let minute, hour, dayOfMonth, month, dayOfWeek: Int
    }

    private static func calendarTime(_ milliseconds: Int64) -> CalendarTime {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return CalendarTime(
            minute: Int(parts.tm_min), hour: Int(parts.tm_hour), dayOfMonth: Int(parts.tm_mday), month: Int(parts.tm_mon) + 1,
            dayOfWeek: Int(parts.tm_wday))
    }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String] = []) throws(OffloadError) -> Set<Int> {
        func invalid() -> OffloadError {
            OffloadError(invalid: "cron", "\(name) field '\(text)' must be *, a number in \(range.lowerBound)-\(range.upperBound), a range a-b, a step */n or a list of those")
        }
        func value(_ token: Substring) throws(OffloadError) -> Int {
            if let index = names.firstIndex(of: token.lowercased()) { return index + (range.lowerBound == 1 ? 1 : 0) }
            guard let number = Int(token), range.contains(number) else { throw invalid() }
            return number
        }
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw invalid() }
            var step = 1
            if pieces.count == 2 {
                guard let number = Int(pieces[1]), number >= 1 else { throw invalid() }
                step = number
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                let low = try value(pieces[0][..<dash]), high = try value(pieces[0][pieces[0].index(after: dash)...])
                guard low <= high else { throw invalid() }
                span = low...high
            } else {
                let single = try value(pieces[0])
                span = single...(pieces.count == 2 ? range.upperBound : single)  // `5/15`: from 5 on
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }
}
