import Hummingbird
import OffloadCore
import Prometheus

/// `/metrics` in Prometheus text: submits counted by this process, and queue gauges read
/// from Redis at scrape time (so any API replica reports the same queue state).
final class APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func submitted(queue: String, type: String) {
        registry.makeCounter(name: "offload_jobs_submitted_total", labels: [("queue", queue), ("type", type)]).increment()
    }

    func refresh(from inspector: Inspector) async throws(OffloadError) {
        for queue in try await inspector.queues() {
            for state in JobState.allCases {
                registry.makeGauge(name: "offload_queue_jobs", labels: [("queue", queue.name), ("state", state.rawValue)])
                    .set(Double(queue.counts[state]))
            }
            registry.makeGauge(name: "offload_queue_oldest_pending_age_seconds", labels: [("queue", queue.name)])
                .set(queue.oldestPendingAgeSeconds)
            registry.makeGauge(name: "offload_queue_completed_last_minute", labels: [("queue", queue.name)])
                .set(Double(queue.processedPerMinute))
            registry.makeGauge(name: "offload_queue_failed_last_minute", labels: [("queue", queue.name)])
                .set(Double(queue.failedPerMinute))
            registry.makeGauge(name: "offload_queue_paused", labels: [("queue", queue.name)]).set(queue.paused ? 1.0 : 0.0)
        }
    }

    func register<Context: RequestContext>(on router: Router<Context>, inspector: Inspector) {
        router.get("metrics") { _, _ in
            try await self.refresh(from: inspector)
            var bytes: [UInt8] = []
            self.registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
