import Foundation
import NIOConcurrencyHelpers

/// When this worker process makes way for a fresh one: after `maxJobs` jobs started, or
/// once its resident memory passes `maxMemoryMB` after a job. It decides; `retire` acts
/// (the worker stops claiming, exits once idle, and its supervisor starts another).
final class RecyclingPolicy: Sendable {
    private let maxJobs: Int?
    private let maxMemoryMB: Int?
    private let residentMemoryMB: @Sendable () -> Int?
    private let retire: @Sendable (_ reason: String) -> Void
    private let started = NIOLockedValueBox(0)

    /// `residentMemoryMB` reads the process's memory (injectable for tests); `retire` is
    /// called with the reason each time a limit is found passed.
    init(
        maxJobs: Int?, maxMemoryMB: Int?, residentMemoryMB: @escaping @Sendable () -> Int? = RecyclingPolicy.residentMemoryMB,
        retire: @escaping @Sendable (_ reason: String) -> Void
    ) {
        self.maxJobs = maxJobs
        self.maxMemoryMB = maxMemoryMB
        self.residentMemoryMB = residentMemoryMB
        self.retire = retire
    }

    /// Counted when a job starts, so jobs run back to back on a slot stop at the limit too.
    func jobStarted() {
        let count = started.withLockedValue { started in
            started += 1
            return started
        }
        if let maxJobs, count >= maxJobs { retire("ran \(count) jobs (max \(maxJobs))") }
    }

    /// Jobs this process may still start before it recycles: a batch takes no more, so a
    /// child never runs past its budget.
    var jobsLeft: Int {
        guard let maxJobs else { return .max }
        return max(0, maxJobs - started.withLockedValue { $0 })
    }

    /// After a job's outcome is stored: what it left behind may have grown the process.
    func jobEnded() {
        if let maxMemoryMB, let resident = residentMemoryMB(), resident > maxMemoryMB {
            retire("resident memory \(resident) MiB over \(maxMemoryMB) MiB")
        }
    }

    /// This process's resident memory, from `/proc/self/statm`.
    static func residentMemoryMB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
    }
}
