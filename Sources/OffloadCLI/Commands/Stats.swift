import ArgumentParser
import Offload

extension OffloadCommand {
    /// `offload stats`: counts per state per queue.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show job counts per state for every queue.")

        @OptionGroup var options: GlobalOptions

        struct Report: Encodable {
            let queues: [String: QueueCounts]
        }

        func run() async throws {
            let counts = try await options.withInspector { inspector throws(OffloadError) in try await inspector.counts() }
            if options.json {
                print(Output.json(Report(queues: counts)))
                return
            }
            let states = JobState.allCases
            let rows = counts.keys.sorted().map { name in [name] + states.map { String(counts[name]![$0]) } }
            print(Output.table(["QUEUE"] + states.map { $0.rawValue.uppercased() }, rows))
        }
    }
}
