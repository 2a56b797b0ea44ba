import Hummingbird
import NIOConcurrencyHelpers
import Offload
import Prometheus

/// `/metrics` in Prometheus text: submits counted by this process, and queue gauges read
/// from Redis at scrape time (so any API replica reports the same queue state).
final class APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Submit counters by queue and job type, kept so a submit does not look its counter up
    /// in the registry (which checks the name and labels) every time.
    private let submittedCounters = NIOLockedValueBox([SubmittedLabels: Counter]())

    private struct SubmittedLabels: Hashable {
        let queue: String
        let type: String
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func submitted(queue: String, type: String) {
        let labels = SubmittedLabels(queue: queue, type: type)
        if let counter = submittedCounters.withLockedValue({ $0[labels] }) {
            counter.increment()
            return
        }
        let counter = registry.makeCounter(
            descriptor: Self.family("offload_jobs_submitted_total", "Jobs this API process accepted, by queue and type."),
            labels: [("queue", queue), ("type", type)])
        submittedCounters.withLockedValue { $0[labels] = counter }
        counter.increment()
    }

    func refresh(from inspector: Inspector) async throws(OffloadError) {
        for queue in try await inspector.queues() {
            for state in JobState.allCases {
                registry.makeGauge(
                    descriptor: Self.family("offload_queue_jobs", "Jobs in the queue, by state."),
                    labels: [("queue", queue.name), ("state", state.rawValue)]
                ).set(Double(queue.counts[state]))
            }
            let labels = [("queue", queue.name)]
            registry.makeGauge(
                descriptor: Self.family("offload_queue_oldest_pending_age_seconds", "How long the oldest pending job has waited."),
                labels: labels
            ).set(queue.oldestPendingAgeSeconds)
            registry.makeGauge(
                descriptor: Self.family("offload_queue_completed_last_minute", "Jobs completed in the last full minute."), labels: labels
            ).set(Double(queue.processedPerMinute))
            registry.makeGauge(
                descriptor: Self.family("offload_queue_failed_last_minute", "Job runs that failed in the last full minute."), labels: labels
            ).set(Double(queue.failedPerMinute))
            registry.makeGauge(descriptor: Self.family("offload_queue_paused", "1 while the queue is paused, else 0."), labels: labels)
                .set(queue.paused ? 1.0 : 0.0)
        }
    }

    /// A family written through the registry, with its `# HELP` line. (The hb_ and http_
    /// families come from Hummingbird through swift-metrics, which has no help text.)
    private static func family(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Job outcomes and run durations per queue and type. The counts live in Redis (every
    /// worker adds to them), so they are written here as they are read, in Prometheus text.
    static func runTotalsText(_ totals: [RunTotals]) -> String {
        guard !totals.isEmpty else { return "" }
        var lines: [String] = []
        func labels(_ entry: RunTotals) -> String { "queue=\"\(entry.queue)\",type=\"\(entry.type)\"" }
        lines.append("# HELP offload_jobs_completed_total Job runs that completed.")
        lines.append("# TYPE offload_jobs_completed_total counter")
        for entry in totals { lines.append("offload_jobs_completed_total{\(labels(entry))} \(entry.processed)") }
        lines.append("# HELP offload_jobs_failed_total Job runs that failed (crash, timeout, error, lost lease), retried or not.")
        lines.append("# TYPE offload_jobs_failed_total counter")
        for entry in totals { lines.append("offload_jobs_failed_total{\(labels(entry))} \(entry.failed)") }
        lines.append("# HELP offload_job_duration_seconds Run time of jobs, from claim to outcome.")
        lines.append("# TYPE offload_job_duration_seconds histogram")
        for entry in totals {
            var cumulative = 0
            for bound in RunTotals.bucketBounds {
                cumulative += entry.buckets[bound] ?? 0
                let le = bound == "+Inf" ? bound : String(Double(bound)! / 1000)
                lines.append("offload_job_duration_seconds_bucket{\(labels(entry)),le=\"\(le)\"} \(cumulative)")
            }
            lines.append("offload_job_duration_seconds_sum{\(labels(entry))} \(Double(entry.totalMilliseconds) / 1000)")
            lines.append("offload_job_duration_seconds_count{\(labels(entry))} \(entry.timedRuns)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func register<Context: RequestContext>(on routes: RouteTable<Context>, inspector: Inspector) {
        routes.get("metrics") { _, _ in
            try await self.refresh(from: inspector)
            var bytes: [UInt8] = []
            self.registry.emit(into: &bytes)
            bytes += Array(Self.runTotalsText(try await inspector.runTotals()).utf8)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
