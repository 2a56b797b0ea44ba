import ArgumentParser
import Logging
import Offload
import OffloadCommandLine

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var redis: RedisOptions

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false

    /// Runs `body` with an inspector and maps any error to a message and an exit code.
    func withInspector<T>(_ body: (Inspector) async throws(OffloadError) -> T) async throws -> T {
        // One connection that gives up fast: a command, not a server.
        let broker: Broker
        do {
            broker = try redis.connectBroker(logger: Logger(label: "offload.cli"), connectTimeout: .seconds(2), poolSize: 1)
        } catch {
            throw CLIFailure(error)
        }
        do {
            let result = try await body(Inspector(broker: broker))
            await broker.shutdown()
            return result
        } catch {
            await broker.shutdown()
            throw CLIFailure(error)
        }
    }

    /// Prints `report` as JSON with `--json`, else a table of `rows` under `headers`.
    func show(_ report: some Encodable, table headers: [String], _ rows: @autoclosure () -> [[String]]) {
        print(json ? Output.json(report) : Output.table(headers, rows()))
    }
}
