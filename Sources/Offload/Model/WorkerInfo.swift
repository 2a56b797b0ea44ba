import Foundation

/// A worker process as it describes itself in the registry.
public struct WorkerInfo: Sendable, Hashable, Codable {
    /// `host:pid:random`, as the registry and the jobs it runs name it.
    public var id: String
    /// The process, where, what it serves and how many jobs it runs at once.
    public var pid: Int32
    public var host: String
    public var queues: [String]
    public var concurrency: Int
    public var currentJobs: [String]
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Jobs it ran to completion, and runs that failed, since it started.
    public var processed: Int
    public var failed: Int

    public init(
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
