import Foundation
import Logging

/// Logging for every Offload executable: human lines on stderr, or one JSON object per
/// line with `LOG_FORMAT=json` (for log shippers). `LOG_LEVEL` sets the level.
package enum OffloadLogging {
    /// `LOG_FORMAT=json`: every line on stderr must be a JSON object.
    package static var isJSON: Bool { ProcessInfo.processInfo.environment["LOG_FORMAT"]?.lowercased() == "json" }

    package static func bootstrap() {
        let environment = ProcessInfo.processInfo.environment
        let level = logLevel(environment["LOG_LEVEL"])
        let json = isJSON
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// `LOG_LEVEL` in any case (`WARNING`, `warn`); a value that names no level is said so
    /// on stderr rather than silently read as `info`.
    static func logLevel(_ text: String?) -> Logger.Level {
        guard let text, !text.isEmpty else { return .info }
        let name = text.lowercased()
        if let level = Logger.Level(rawValue: name == "warn" ? "warning" : name) { return level }
        let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        let message = "LOG_LEVEL '\(text)' is not one of \(names); using info"
        if isJSON, let line = try? JSONSerialization.data(withJSONObject: ["level": "warning", "message": message], options: [.sortedKeys]) {
            JSONLogHandler.writeLine(line)  // before logging is set up, in the format asked for
        } else {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        return .info
    }
}

/// One JSON object per line on stderr: time, level, label, message and metadata.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String
    private static let lock = NSLock()

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var object: [String: String] = [
            "time": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue, "label": label, "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where object[key] == nil {
            object[key] = value.description
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        Self.writeLine(data)
    }

    /// One line on stderr, never interleaved with another process thread's line.
    package static func writeLine(_ line: Data) {
        var data = line
        data.append(0x0A)
        lock.lock()
        FileHandle.standardError.write(data)
        lock.unlock()
    }
}
