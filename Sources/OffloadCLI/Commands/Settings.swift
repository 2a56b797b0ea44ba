import ArgumentParser
import Offload

extension OffloadCommand {
    /// `offload settings Q [--result-ttl 3600] [--unset max-depth]`: show or change one
    /// queue's backpressure limit and retention.
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change a queue's settings: backpressure limit and retention.",
            discussion: """
                Options change only the settings they name; --unset puts a setting back to its \
                default. Every process reads them from Redis, so they apply from the next submit, \
                claim or finished job on. A job's own result TTL wins over the queue's.
                """
        )

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "Past this many waiting jobs, submits get 429 (default: no limit).") var maxDepth: Int?
        @Option(help: "Seconds completed and cancelled jobs are kept (default: 86400).") var resultTtl: Int?
        @Option(help: "Dead jobs kept at most; the oldest go first (default: 10000).") var deadMaxCount: Int?
        @Option(help: "Seconds a dead job is kept at most (default: 2592000, 30 days).") var deadMaxAge: Int?
        @Option(help: "Put a setting back to its default: max-depth, result-ttl, dead-max-count or dead-max-age.")
        var unset: [Setting] = []

        enum Setting: String, ExpressibleByArgument, CaseIterable {
            case maxDepth = "max-depth", resultTTL = "result-ttl", deadMaxCount = "dead-max-count", deadMaxAge = "dead-max-age"

            var keyPath: WritableKeyPath<QueueSettings, Int?> {
                switch self {
                case .maxDepth: \.maxDepth
                case .resultTTL: \.resultTTLSeconds
                case .deadMaxCount: \.deadMaxCount
                case .deadMaxAge: \.deadMaxAgeSeconds
                }
            }
        }

        private var changes: [(Setting, Int?)] {
            [(.maxDepth, maxDepth), (.resultTTL, resultTtl), (.deadMaxCount, deadMaxCount), (.deadMaxAge, deadMaxAge)]
                .compactMap { setting, value in value.map { (setting, $0) } } + unset.map { ($0, nil) }
        }

        func validate() throws {
            let named = changes.map(\.0)
            if let twice = Setting.allCases.first(where: { setting in named.filter { $0 == setting }.count > 1 }) {
                throw ValidationError("--\(twice.rawValue) is both set and unset")
            }
        }

        func run() async throws {
            let settings = try await options.withInspector { inspector throws(OffloadError) -> QueueSettings in
                var settings = try await inspector.settings(queue: queue)
                guard !changes.isEmpty else { return settings }
                for (setting, value) in changes { settings[keyPath: setting.keyPath] = value }
                do throws(OffloadError) {
                    try settings.validate()
                } catch {
                    throw error.namingField([
                        "max_depth": "--max-depth", "result_ttl_seconds": "--result-ttl", "dead_max_count": "--dead-max-count",
                        "dead_max_age_seconds": "--dead-max-age",
                    ])
                }
                try await inspector.setSettings(queue: queue, settings)
                return settings
            }
            if options.json {
                print(Output.json(settings))
                return
            }
            let defaults = BrokerSettings()
            func show(_ value: Int?, default defaultText: String) -> String { value.map(String.init) ?? "\(defaultText) (default)" }
            print(
                Output.table(
                    ["SETTING", "VALUE"],
                    [
                        ["max-depth", settings.maxDepth.map(String.init) ?? "none (default)"],
                        ["result-ttl", show(settings.resultTTLSeconds, default: "\(defaults.defaultResultTTLSeconds)")],
                        ["dead-max-count", show(settings.deadMaxCount, default: "\(defaults.deadMaxCount)")],
                        ["dead-max-age", show(settings.deadMaxAgeSeconds, default: "\(defaults.deadMaxAgeMilliseconds / 1000)")],
                    ]))
        }
    }
}
