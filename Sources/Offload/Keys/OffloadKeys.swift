/// Every Redis key Offload uses is built here and nowhere else.
///
/// Keys of one queue carry the hash tag `{queue}`, so a queue lives in one Redis Cluster
/// slot and every script touches a single slot. The few global keys (the queue set, the
/// job-type and worker registries) are never touched by a script.
package struct OffloadKeys: Sendable, Hashable {
    package let prefix: String

    package init(prefix: String = "offload") {
        self.prefix = prefix
    }

    /// SET of every queue that has ever received a job.
    package var queues: String { "\(prefix):queues" }
    /// HASH job type → ms when a worker last published it.
    package var jobTypes: String { "\(prefix):job-types" }
    /// HASH schedule name → the schedule as JSON (`JobSchedule`).
    package var schedules: String { "\(prefix):schedules" }
    /// STRING set (NX, expiring) by the one process that fires this occurrence.
    package func scheduleFired(_ name: String, occurrence: Int64) -> String { "\(prefix):schedule-fired:\(name):\(occurrence)" }
    /// ZSET worker id → ms of its last heartbeat.
    package var workers: String { "\(prefix):workers" }
    /// STRING (JSON) describing one worker process; expires when the worker stops heartbeating.
    package func worker(_ id: String) -> String { "\(prefix):worker:\(id)" }

    package func queue(_ name: String) -> QueueKeys { QueueKeys(prefix: prefix, queue: name) }
}

/// The keys of one queue.
package struct QueueKeys: Sendable, Hashable {
    package let queue: String
    /// `prefix:{queue}:` — the common start of every key below.
    package let base: String

    init(prefix: String, queue: String) {
        self.queue = queue
        self.base = "\(prefix):{\(queue)}:"
    }

    /// ZSET of the priority levels that have runnable jobs: member = the priority, score =
    /// its negation, so the first member is the highest priority.
    package var pendingLevels: String { base + "pending" }
    /// LIST of the runnable jobs of one priority, oldest first (RPUSH, LPOP). Scripts build
    /// it as `pendingLevels .. ":" .. priority`. A list entry costs ~40 bytes where a
    /// sorted-set entry costs ~136, and pending jobs are most of a backlog.
    package func pending(priority: Int) -> String { pendingLevels + ":\(priority)" }
    /// ZSET of delayed jobs and jobs waiting for a retry; score = ms when due.
    package var scheduled: String { base + "scheduled" }
    /// ZSET of running jobs; score = ms when their lease expires.
    package var active: String { base + "active" }
    /// ZSET of finished jobs kept for their result TTL; score = ms when they expire.
    package var completed: String { base + "completed" }
    /// ZSET of cancelled jobs, kept like completed ones.
    package var cancelled: String { base + "cancelled" }
    /// ZSET of jobs that exhausted their attempts; score = ms when they died.
    package var dead: String { base + "dead" }
    /// LIST of wake-up tokens that blocked workers `BLPOP` on.
    package var signal: String { base + "signal" }
    /// Present while the queue is paused.
    package var paused: String { base + "paused" }
    /// HASH of the queue's settings (`QueueSettings.fields`), read by the scripts.
    package var settings: String { base + "settings" }
    /// STREAM of job events, trimmed to a bounded length.
    package var events: String { base + "events" }
    /// Prefix of job hashes; scripts append the id.
    package var jobPrefix: String { base + "job:" }
    package func job(_ id: String) -> String { jobPrefix + id }
    /// The id of the job first submitted with this idempotency key.
    package func idempotency(_ key: String) -> String { base + "idem:" + key }
    /// The id of the job holding this uniqueness key; freed by the scripts that start,
    /// finish, cancel or kill it (a job's `uniq` field names the key), or by its TTL.
    package func unique(_ key: String) -> String { base + "unique:" + key }
    /// HASH of processed/failed counters for one minute (ms since epoch / 60000).
    package func stats(minute: Int64) -> String { base + "stats:\(minute)" }
    /// Scripts build the per-minute key by appending the minute.
    package var statsPrefix: String { base + "stats:" }
    /// HASH of run totals per job type since the queue began: `processed|type`,
    /// `failed|type`, `ms|type` (summed run time) and `le:<bound ms>|type` (histogram).
    package var runTotals: String { statsPrefix + "runs" }

    /// The sorted set of a state's jobs. Pending jobs are in per-priority lists instead
    /// (`pendingLevels`), so `.pending` has none.
    package func set(for state: JobState) -> String? {
        switch state {
        case .pending: return nil
        case .scheduled: return scheduled
        case .active: return active
        case .completed: return completed
        case .cancelled: return cancelled
        case .dead: return dead
        }
    }
}
