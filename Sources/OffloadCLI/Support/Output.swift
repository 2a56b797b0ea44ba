import Foundation
import OffloadCore

/// Human output: aligned tables, optional colour (off with NO_COLOR or when piped).
enum Output {
    static var useColor: Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let head = useColor ? "\u{1B}[1m\(line(header))\u{1B}[0m" : line(header)
        return ([head] + rows.map(line)).joined(separator: "\n")
    }

    static func json<Value: Encodable>(_ value: Value) -> String {
        guard let data = try? OffloadJSON.pretty.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func seconds(_ value: Double) -> String {
        if value < 1 { return value == 0 ? "-" : String(format: "%.0fms", value * 1000) }
        if value < 120 { return String(format: "%.0fs", value) }
        if value < 7200 { return String(format: "%.0fm", value / 60) }
        return String(format: "%.1fh", value / 3600)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func color(_ state: JobState, _ text: String) -> String {
        guard useColor else { return text }
        let code: String
        switch state {
        case .completed: code = "32"
        case .dead: code = "31"
        case .active: code = "36"
        case .scheduled, .pending: code = "33"
        case .cancelled: code = "90"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
