import Foundation

/// A worker process as it describes itself in the registry.
package struct WorkerInfo: Sendable, Hashable, Codable {
    package var id: String
    package var pid: Int32
    package var host: String
    package var queues: [String]
    package var concurrency: Int
    package var currentJobs: [String]
    package var startedAt: Date
    package var heartbeatAt: Date
    package var processed: Int
    package var failed: Int

    package init(
        id: String, pid: Int32, host: String, queues: [String], concurrency: Int, currentJobs: [String],
        startedAt: Date, heartbeatAt: Date, processed: Int, failed: Int
    ) {
        self.id = id
        self.pid = pid
        self.host = host
        self.queues = queues
        self.concurrency = concurrency
        self.currentJobs = currentJobs
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.processed = processed
        self.failed = failed
    }

    enum CodingKeys: String, CodingKey {
        case id, pid, host, queues, concurrency, processed, failed
        case currentJobs = "current_jobs"
        case startedAt = "started_at"
        case heartbeatAt = "heartbeat_at"
    }
}
