import Foundation
import Logging
import NIOConcurrencyHelpers
import Offload
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

package struct SupervisorConfiguration: Sendable {
    package var processes = 1
    /// Added to the children's nice value, so they yield the CPU to an API on the same host.
    package var niceness = 0
    /// The worker executable and the arguments that make it a child (`--child`).
    package var executablePath: String
    package var childArguments: [String]
    /// After SIGTERM, children get this long (plus a margin) before SIGKILL.
    package var gracePeriod: Duration = .seconds(30)
    package var maxRestartBackoff: Duration = .seconds(30)
    /// Killing a child for a job's hard timeout waits this much past the timeout.
    package var hardTimeoutMargin: Duration = .milliseconds(500)
    /// With `LOG_FORMAT=json`: the children's stderr goes through the supervisor, which
    /// passes their JSON log lines on and wraps anything else (a crash's message from the
    /// Swift runtime) in a JSON record, so every line a log shipper reads is JSON.
    package var relayChildOutputAsJSON = false

    package init(executablePath: String, childArguments: [String]) {
        self.executablePath = executablePath
        self.childArguments = childArguments
    }
}

/// The prefork model, done with spawned processes: keeps N worker children alive,
/// restarts them with backoff, kills a child whose job overruns its hard timeout, and
/// records why a job's process died on the job itself (crash, timeout), so poison jobs
/// end in `dead` with their cause while the queue keeps flowing.
package final class WorkerSupervisor: Service, Sendable {
    let broker: Broker
    let configuration: SupervisorConfiguration
    let logger: Logger
    private let stopping = NIOLockedValueBox(false)
    private let stoppingNow = NIOLockedValueBox(false)

    package init(broker: Broker, configuration: SupervisorConfiguration, logger: Logger) {
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
    }

    private final class Child {
        let handle: ChildProcessHandle
        /// From its `hello`: the id its claims write on jobs, and its queues.
        var workerID: String?
        var queues: [String] = []
        var jobs = ChildJobs<ContinuousClock.Instant>()
        var retiring = false
        /// The job whose hard timeout made us kill this child.
        var killedForTimeout: String?

        init(handle: ChildProcessHandle) { self.handle = handle }
    }

    package func run() async throws {
        var children: [Int: Child] = [:]
        var restartAt: [Int: ContinuousClock.Instant] = [:]
        var consecutiveFailures: [Int: Int] = [:]
        for index in 0..<configuration.processes { restartAt[index] = .now }
        logger.info("supervisor started", metadata: ["processes": "\(configuration.processes)", "pid": "\(getpid())"])

        await withGracefulShutdownHandler {
            while !self.stopping.withLockedValue({ $0 }) {
                for (index, child) in children {
                    self.read(child)
                    self.enforceHardTimeouts(child)
                    guard let status = child.handle.pollExit() else { continue }
                    self.read(child, exited: true)
                    child.handle.closePipe()
                    children[index] = nil
                    // A child this supervisor killed for a job's hard timeout did not fail: its
                    // replacement starts at once, or a run of hanging jobs would slow the
                    // queue down to one restart per 30 s.
                    let restartAtOnce = ChildProcessHandle.exitedCleanly(status) || child.killedForTimeout != nil
                    await self.settleJobs(of: child, status: status)
                    if restartAtOnce {
                        consecutiveFailures[index] = 0
                        restartAt[index] = .now
                    } else {
                        let livedLong = ContinuousClock.now - child.handle.startedAt > .seconds(30)
                        let failures = livedLong ? 1 : (consecutiveFailures[index] ?? 0) + 1
                        consecutiveFailures[index] = failures
                        let backoff = min(self.configuration.maxRestartBackoff, .milliseconds(250) * (1 << min(failures - 1, 10)))
                        restartAt[index] = .now + backoff
                        self.logger.warning(
                            "worker process exited; restarting",
                            metadata: [
                                "index": "\(index)", "pid": "\(child.handle.pid)",
                                "reason": "\(ChildProcessHandle.describe(status: status))", "restart_in": "\(backoff)",
                            ])
                    }
                }
                for (index, due) in restartAt where due <= .now && !self.stopping.withLockedValue({ $0 }) {
                    do {
                        let handle = try ChildProcessHandle.spawn(
                            executable: self.configuration.executablePath, arguments: self.configuration.childArguments,
                            niceness: self.configuration.niceness, index: index,
                            relayOutput: self.configuration.relayChildOutputAsJSON)
                        children[index] = Child(handle: handle)
                        restartAt[index] = nil
                        self.logger.info("worker process started", metadata: ["index": "\(index)", "pid": "\(handle.pid)"])
                    } catch {
                        self.logger.error("cannot start a worker process", metadata: ["error": "\(error)"])
                        restartAt[index] = .now + .seconds(5)
                    }
                }
                try? await Delay.wait(.milliseconds(50))
            }
        } onGracefulShutdown: {
            self.stopping.withLockedValue { $0 = true }
        }
        await stopAll(children)
    }

    /// Everything the child wrote since the last look: its reports, and its output when
    /// relayed (all of it once it `exited`).
    private func read(_ child: Child, exited: Bool = false) {
        collectReports(child)
        relayOutput(of: child, exited: exited)
    }

    private func collectReports(_ child: Child) {
        for report in child.handle.readReports() {
            switch report {
            case let .hello(workerID, queues):
                child.workerID = workerID
                child.queues = queues
            case .retiring:
                child.retiring = true
            case .started, .ran, .ended:
                child.jobs.apply(report, at: .now)
            }
        }
    }

    /// The child's JSON log lines as they are; its other lines (a crash's message and stack
    /// trace, a handler's print) as one JSON record per read, naming the child.
    private func relayOutput(of child: Child, exited: Bool = false) {
        var other: [String] = []
        for line in child.handle.readOutput(exited: exited) {
            if line.hasPrefix("{") && line.hasSuffix("}") {
                JSONLogHandler.writeLine(Data(line.utf8))
            } else if !line.isEmpty {
                other.append(line)
            }
        }
        guard !other.isEmpty else { return }
        logger.warning(
            "worker process wrote outside its log",
            metadata: ["pid": "\(child.handle.pid)", "output": "\(other.joined(separator: "\n"))"])
    }

    /// A thread running CPU work cannot be stopped from inside its process, so a job past
    /// its hard timeout costs its whole child process.
    private func enforceHardTimeouts(_ child: Child) {
        guard child.killedForTimeout == nil,
            let overrun = child.jobs.overrunningHardTimeout(at: .now, margin: configuration.hardTimeoutMargin)
        else { return }
        let (id, timeout) = (overrun.job.id, overrun.job.timeoutSeconds ?? 0)
        logger.warning("job exceeded its hard timeout; killing its worker process", metadata: ["job": "\(id)", "timeout_s": "\(timeout)", "pid": "\(child.handle.pid)"])
        child.killedForTimeout = id
        child.handle.signal(SIGKILL)
    }

    /// Records on each job the child still ran why it stopped: the timeout on the job that
    /// overran, the crash on the jobs of a crashed child; jobs that merely shared a killed
    /// child go back to pending without losing an attempt.
    private func settleJobs(of child: Child, status: Int32) async {
        for (id, tracked) in child.jobs.byID {
            do {
                if id == child.killedForTimeout {
                    let error = JobError(type: "timeout", message: "hard timeout of \(tracked.job.timeoutSeconds ?? 0) s exceeded; worker process killed")
                    let outcome = try await broker.fail(tracked.job, error: error, disposition: .retry)
                    logger.warning("job timed out", metadata: ["job": "\(id)", "now": "\(outcome.rawValue)"])
                } else if child.killedForTimeout != nil || ChildProcessHandle.exitedCleanly(status) {
                    _ = try await broker.release(tracked.job)
                } else {
                    let error = JobError(type: "crash", message: "worker process crashed: \(ChildProcessHandle.describe(status: status))")
                    let outcome = try await broker.fail(tracked.job, error: error, disposition: .retry)
                    logger.warning("job's worker process crashed", metadata: ["job": "\(id)", "cause": "\(error.message)", "now": "\(outcome.rawValue)"])
                }
            } catch {
                // Redis is away: the job's lease will expire and the reaper recovers it.
                logger.warning("cannot record the job's fate; its lease will recover it", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        // What it held without having started (claimed ahead of a free slot, or claimed as it
        // died) goes back uncounted: the reaper would count an attempt for each.
        guard let workerID = child.workerID else { return }
        for queue in child.queues {
            do {
                let released = try await broker.releaseJobs(ofWorker: workerID, queue: queue)
                if released > 0 {
                    logger.info("gave back the jobs the process held without running them", metadata: ["queue": "\(queue)", "jobs": "\(released)"])
                }
            } catch {
                logger.warning("cannot give back the jobs the process held; their leases will recover them", metadata: ["queue": "\(queue)", "error": "\(error)"])
            }
        }
    }

    /// Cuts a graceful shutdown short (an operator's second Ctrl-C): the children are killed
    /// at once and the jobs they ran go back to pending, keeping their attempt.
    package func stopNow() {
        stoppingNow.withLockedValue { $0 = true }
    }

    /// SIGTERM to every child, which drains within its grace period; SIGKILL after that, or
    /// as soon as `stopNow` is called.
    private func stopAll(_ children: [Int: Child]) async {
        logger.info("supervisor stopping", metadata: ["processes": "\(children.count)"])
        for child in children.values { child.handle.signal(SIGTERM) }
        var remaining = children
        let deadline = ContinuousClock.now + configuration.gracePeriod + .seconds(5)
        var killed = false
        while !remaining.isEmpty {
            for (index, child) in remaining {
                read(child)
                if let status = child.handle.pollExit() {
                    read(child, exited: true)
                    child.handle.closePipe()
                    remaining[index] = nil
                    // Shutting down: whatever a child could not finish goes back to pending.
                    _ = status
                    await settleJobs(of: child, status: 0)
                }
            }
            let now = stoppingNow.withLockedValue { $0 }
            if !killed && (now || ContinuousClock.now > deadline) {
                killed = true
                let jobs = remaining.values.reduce(0) { $0 + $1.jobs.count }
                logger.warning(
                    now ? "stopping now: killing worker processes; their jobs go back to pending" : "grace period over: killing worker processes; their jobs go back to pending",
                    metadata: ["processes": "\(remaining.count)", "jobs": "\(jobs)"])
                for child in remaining.values { child.handle.signal(SIGKILL) }
            }
            try? await Delay.wait(.milliseconds(50))
        }
    }
}
