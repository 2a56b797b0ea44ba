import Foundation

/// A queue a worker takes jobs from, and its share when queues are weighted.
package struct QueueWeight: Sendable, Hashable {
    package var name: String
    package var weight: Int

    package init(name: String, weight: Int = 1) {
        self.name = name
        self.weight = weight
    }

    /// Shares are relative; the bound keeps their sum far from overflowing.
    package static let weightRange = 1...1000

    /// Parses `high:3,default:1` (a missing weight is 1).
    package static func parseList(_ text: String) throws -> [QueueWeight] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw WorkerConfigurationError("no queue given") }
        return try items.map { item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, let name = parts.first, !name.isEmpty else { throw WorkerConfigurationError("bad queue '\(item)'") }
            let weight = parts.count == 2 ? Int(parts[1]) : 1
            guard let weight, weightRange.contains(weight) else {
                throw WorkerConfigurationError("weight of '\(name)' must be a whole number in \(weightRange)")
            }
            return QueueWeight(name: name, weight: weight)
        }
    }
}

package struct WorkerConfigurationError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

package struct WorkerConfiguration: Sendable {
    package var queues: [QueueWeight] = [QueueWeight(name: "default")]
    /// Strict: always drain the first queue before looking at the next. Otherwise each
    /// claim picks its first queue at random in proportion to the weights (no starvation).
    package var strictOrder = false
    /// CPU-bound jobs run at once, one dedicated thread each.
    package var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Short jobs are claimed ahead of free slots, up to what the slots get through in
    /// this time at the average run time seen (long jobs: none). Zero turns it off.
    package var prefetchWindow: Duration = .milliseconds(5)
    /// A job claimed ahead that waited this long for a slot goes back to its queue.
    package var claimedAheadMaxWait: Duration = .milliseconds(200)
    /// CPU jobs' threads run under Linux's SCHED_IDLE policy: they get only CPU time no
    /// other thread wants, so an API on the same machine answers at once under full load.
    /// The worker's Redis side (claims, lease renewals) keeps its priority.
    package var idleSchedulingForJobs = false
    /// The nice value of CPU jobs' threads (`--nice`), set on each of them: a thread takes
    /// its creator's, and the threads that create them here do not keep the process's.
    package var jobThreadNice = 0
    /// A running job's progress is written to Redis at most this often; the newest report
    /// in between wins, and the last one is written before the job's outcome.
    package var progressInterval: Duration = .milliseconds(100)
    /// I/O-bound (`async`) jobs run at once; they hold no thread.
    package var ioConcurrency = 100
    package var workerID = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(6).lowercased())"
    /// Longest a worker blocks waiting for a submit before looking again.
    package var idleWait: Duration = .seconds(5)
    /// How often expired leases are looked for.
    package var reapInterval: Duration = .seconds(1)
    /// How often the worker refreshes its registry entry.
    package var registryInterval: Duration = .seconds(2)
    /// On SIGTERM, how long running jobs get to finish before they are handed back.
    package var gracePeriod: Duration = .seconds(30)
    /// Recycling: after this many jobs the process stops claiming and exits once idle,
    /// and its supervisor starts a fresh one.
    package var maxJobsPerChild: Int?
    /// Recycling: likewise once its resident memory passes this many MiB after a job.
    package var maxMemoryPerChildMB: Int?

    package init() {}
}
