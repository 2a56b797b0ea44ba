import Foundation
import Offload

/// Human output: aligned tables, optional colour (off with NO_COLOR or when piped).
enum Output {
    /// NO_COLOR counts when set to anything but the empty string (no-color.org).
    static var useColor: Bool {
        (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty && isatty(STDOUT_FILENO) == 1
    }

    /// Text that jobs and workers wrote (errors, progress messages, host names), made safe to
    /// print: control characters, which a terminal would run as escape sequences or which
    /// would break a table row, are shown as escapes instead (`\n`, `\u{1B}`).
    static func printable(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var shown = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": shown.append(contentsOf: "\\n".unicodeScalars)
            case "\r": shown.append(contentsOf: "\\r".unicodeScalars)
            case "\t": shown.append(contentsOf: "\\t".unicodeScalars)
            case _ where isControl(scalar): shown.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: shown.append(scalar)
            }
        }
        return String(shown)
    }

    /// How many columns a cell takes: the colour codes of `color` take none.
    static func visibleWidth(_ text: String) -> Int {
        guard text.contains("\u{1B}") else { return text.count }
        return text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(visibleWidth)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], visibleWidth(cell)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - visibleWidth(cell)))
            }.joined(separator: "  ")
        }
        let head = useColor ? "\u{1B}[1m\(line(header))\u{1B}[0m" : line(header)
        return ([head] + rows.map(line)).joined(separator: "\n")
    }

    /// Pretty for people reading `--json`; one line each for streams of objects (`watch`).
    static func json<Value: Encodable>(_ value: Value, pretty: Bool = true) -> String {
        guard let data = try? (pretty ? OffloadJSON.pretty : OffloadJSON.compact).encode(value) else { return "{}" }
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
