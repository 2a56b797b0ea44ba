import ArgumentParser
import Foundation
import Offload

/// `--min-replicas` and `--min-replicas-timeout-ms` (or `OFFLOAD_MIN_REPLICAS`,
/// `OFFLOAD_MIN_REPLICAS_TIMEOUT_MS`), by which `offload-api` accepts a submit and
/// `offload-worker` stores a result only once Redis replicas confirm them.
package struct ReplicationOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Accept a write only once this many Redis replicas confirm it (WAIT); 503 otherwise (default: $OFFLOAD_MIN_REPLICAS or 0).")
    var minReplicas: Int?

    @Option(name: .long, help: "How long to wait for the replicas, in milliseconds (default: $OFFLOAD_MIN_REPLICAS_TIMEOUT_MS or 500).")
    var minReplicasTimeoutMs: Int?

    package init() {}

    package func validate() throws {
        _ = try resolved()
    }

    /// The flags, else the environment, else the defaults; out of range is a usage error.
    package func resolved() throws(ValidationError) -> (replicas: Int, timeoutMilliseconds: Int) {
        let defaults = BrokerSettings()
        let replicas = try Self.value(minReplicas, env: "OFFLOAD_MIN_REPLICAS", flag: "--min-replicas", default: defaults.minReplicas,
            in: BrokerSettings.minReplicasRange)
        let timeout = try Self.value(
            minReplicasTimeoutMs, env: "OFFLOAD_MIN_REPLICAS_TIMEOUT_MS", flag: "--min-replicas-timeout-ms",
            default: defaults.minReplicasTimeoutMilliseconds, in: BrokerSettings.minReplicasTimeoutRange)
        return (replicas, timeout)
    }

    /// `settings` with the replication these options ask for.
    package func apply(to settings: inout BrokerSettings) throws(ValidationError) {
        (settings.minReplicas, settings.minReplicasTimeoutMilliseconds) = try resolved()
    }

    private static func value(
        _ flag: Int?, env name: String, flag flagName: String, default fallback: Int, in range: ClosedRange<Int>
    ) throws(ValidationError) -> Int {
        let value: Int
        if let flag {
            value = flag
        } else if let text = ProcessInfo.processInfo.environment[name], !text.isEmpty {
            guard let number = Int(text) else { throw ValidationError("\(name) must be a whole number, not '\(text)'") }
            value = number
        } else {
            return fallback
        }
        guard range.contains(value) else { throw ValidationError("\(flagName) must be in \(range.lowerBound)...\(range.upperBound)") }
        return value
    }
}
