import Foundation
import Offload
import OffloadRedis
import OffloadTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every status code of the v1 API on a real stack (processes, Redis, HTTP).
@Suite(.timeLimit(.minutes(2))) struct APITests {
    static func errorCode(_ response: OffloadStack.HTTPResult) -> String? {
        (response.object["error"] as? [String: Any])?["code"] as? String
    }

    /// A stack with a worker serving the test jobs, ready to accept them.
    static func readyStack(redisURL: String = TestRedis.url, apiEnvironment: [String: String] = [:], workerArguments: [String] = [])
        async throws -> (OffloadStack, Inspector)
    {
        let stack = try OffloadStack(redisURL: redisURL)
        try await stack.startAPI(environment: apiEnvironment)
        try stack.startWorker(workerArguments)
        let inspector = Inspector(broker: Broker(redis: try RedisClient.forTests(url: redisURL), settings: stack.settings))
        try await waitUntil("job types published") { try await inspector.jobTypes().contains("test.sleep") }
        return (stack, inspector)
    }

    @Test func idempotencyKeyReturnsTheFirstJob() async throws {
        let (stack, _) = try await Self.readyStack()
        let first = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": "order-42"])
        let second = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": "order-42"])
        #expect(first.status == 202)
        #expect(second.status == 200)
        #expect(first.object["id"] as? String == second.object["id"] as? String)
        let other = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Idempotency-Key": "order-43"])
        #expect(other.object["id"] as? String != first.object["id"] as? String)
        // A batch cannot honour a key: refused, not ignored.
        let batch = try await stack.post("/v1/jobs/batch", json: ["jobs": [["type": "test.noop"]]], headers: ["Idempotency-Key": "order-44"])
        #expect(batch.status == 422 && Self.errorCode(batch) == "invalid_argument", "\(batch.text.prefix(300))")
        // The same key with another payload is not the same request.
        let reused = try await stack.post(
            "/v1/jobs", json: ["type": "test.noop", "payload": ["n": 1]], headers: ["Idempotency-Key": "order-42"])
        #expect(reused.status == 422)
        #expect(Self.errorCode(reused) == "invalid_argument", "\(reused.object)")
        await stack.stop()
    }

    /// A held uniqueness key answers 200 with the holder and `"duplicate": true` while a
    /// real worker runs the job; cancelling the run frees the key for a new job.
    @Test func aUniqueKeyHeldByARunningJobAnswersWithItsHolder() async throws {
        let (stack, inspector) = try await Self.readyStack()
        let body: [String: Any] = [
            "type": "test.sleep", "payload": ["seconds": 600], "unique": ["key": "render-7", "scope": "until_finished", "ttl_seconds": 3600],
        ]
        let first = try await stack.post("/v1/jobs", json: body)
        #expect(first.status == 202 && first.object["duplicate"] == nil, "\(first.text)")
        let id = try #require(first.object["id"] as? String)
        try await waitUntil("the worker runs the job") { try await inspector.job(id).state == .active }
        let again = try await stack.post("/v1/jobs", json: body)
        #expect(again.status == 200, "\(again.text)")
        #expect(again.object["id"] as? String == id && again.object["duplicate"] as? Bool == true && again.object["state"] as? String == "active")
        let inBatch = try await stack.post("/v1/jobs/batch", json: ["jobs": [body]])
        let item = try #require((inBatch.object["jobs"] as? [[String: Any]])?.first)
        #expect(item["id"] as? String == id && item["duplicate"] as? Bool == true)

        let cancel = try await stack.request("DELETE", "/v1/jobs/\(id)")
        #expect(cancel.status == 202)
        _ = try await stack.waitForJob(id)
        let fresh = try await stack.post("/v1/jobs", json: body)
        #expect(fresh.status == 202 && fresh.object["id"] as? String != id, "\(fresh.text)")
        if let freshID = fresh.object["id"] as? String { _ = try await stack.request("DELETE", "/v1/jobs/\(freshID)") }

        for (unique, field) in [
            (["key": ""] as [String: Any], "unique.key"), (["key": "k", "ttl_seconds": 0], "unique.ttl_seconds"),
            (["key": "k", "scope": "forever"], "unique.scope"), (["key": "k", "extra": 1], "unique.extra"),
        ] {
            let refused = try await stack.post("/v1/jobs", json: ["type": "test.noop", "unique": unique])
            #expect(refused.status == 422 && Self.errorCode(refused) == "invalid_argument", "\(refused.text)")
            #expect((refused.object["error"] as? [String: Any])?["field"] as? String == field, "\(refused.text)")
        }
        await stack.stop()
    }

    @Test func batchSubmitAnswersEachJob() async throws {
        let (stack, _) = try await Self.readyStack()
        let jobs: [[String: Any]] = [
            ["type": "count-primes", "payload": ["below": 1000]], ["type": "no-such-type"], ["type": "test.noop", "priority": 5000],
            ["type": "count-primes", "payload": ["below": 100]],
        ]
        let response = try await stack.post("/v1/jobs/batch", json: ["jobs": jobs])
        #expect(response.status == 202)
        let results = try #require(response.object["jobs"] as? [[String: Any]])
        #expect(results.count == 4)
        #expect(results[0]["id"] is String)
        #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "unknown_job_type")
        #expect((results[2]["error"] as? [String: Any])?["code"] as? String == "invalid_argument")
        let last = try await stack.waitForJob(try #require(results[3]["id"] as? String))
        #expect((last["result"] as? [String: Any])?["count"] as? Int == 25)

        let tooMany = try await stack.post("/v1/jobs/batch", json: ["jobs": Array(repeating: ["type": "test.noop"], count: 1001)])
        #expect(tooMany.status == 422)
        await stack.stop()
    }

    @Test func longPollReturnsOnCompletionNotOnTimeout() async throws {
        let (stack, _) = try await Self.readyStack()
        let id = try #require(try await stack.post("/v1/jobs", json: ["type": "test.sleep", "payload": ["seconds": 1]]).object["id"] as? String)
        let started = ContinuousClock.now
        let response = try await stack.request("GET", "/v1/jobs/\(id)?wait=60", timeout: .seconds(90))
        let elapsed = ContinuousClock.now - started
        #expect(response.object["state"] as? String == "completed")
        // Far below the 60 s asked for, with room for a loaded machine to run the 1 s job.
        #expect(elapsed < .seconds(40), "returned when the job finished, after \(elapsed)")
        #expect(try await stack.get("/v1/jobs/\(id)?wait=61").status == 422)
        await stack.stop()
    }

    @Test func serverSentEventsDeliverProgressThenTheResult() async throws {
        let (stack, _) = try await Self.readyStack()
        // 3 s, 20 reports: a loaded machine still opens the stream before the last of them.
        let id = try #require(try await stack.post("/v1/jobs", json: ["type": "test.sleep", "payload": ["seconds": 3]]).object["id"] as? String)
        let stream = try await stack.request("GET", "/v1/jobs/\(id)/events")
        #expect(stream.status == 200)
        #expect(stream.header("content-type")?.hasPrefix("text/event-stream") == true)
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let names = events.compactMap { $0.split(separator: "\n").first.map { String($0.dropFirst("event: ".count)) } }
        let firstProgress = try #require(names.firstIndex(of: "progress"), "\(names)")
        let finalState = try #require(names.lastIndex(of: "state"))
        #expect(firstProgress < finalState, "progress comes before the final state")
        #expect(events[finalState].contains(#""state":"completed""#))
        #expect(events[finalState].contains(#""result":{"slept":3}"#))
        #expect(names.last == "end")
        await stack.stop()
    }

    @Test func sigtermEndsOpenEventStreams() async throws {
        let (stack, _) = try await Self.readyStack()
        // No worker serves this queue: the job never finishes, so its stream stays open.
        let id = try #require(try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": "idle"]).object["id"] as? String)
        let stream = try await stack.openStream("/v1/jobs/\(id)/events")
        // The stream is open once its first event, the job's state, has arrived.
        #expect(try await stream.read(until: "event: state"), "\(stream.text)")
        let api = try #require(stack.api)
        api.signal(SIGTERM)
        #expect(await api.waitForExit(timeout: .seconds(30)), "the open stream does not hold up shutdown")
        #expect(api.exitCode == 0)
        try await stream.read()
        #expect(stream.text.contains("event: end"), "\(stream.text)")
        await stack.stop()
    }

    @Test func listCancelRetryAndQueueOperations() async throws {
        let (stack, inspector) = try await Self.readyStack()
        // Delayed jobs wait in `scheduled`; pages of 2 with a cursor.
        var ids: [String] = []
        for _ in 0..<5 {
            ids.append(try #require(try await stack.post("/v1/jobs", json: ["type": "test.noop", "delay_seconds": 300]).object["id"] as? String))
        }
        let page1 = try await stack.get("/v1/jobs?queue=default&state=scheduled&limit=2").object
        let cursor = try #require(page1["next_cursor"] as? String)
        let page2 = try await stack.get("/v1/jobs?queue=default&state=scheduled&limit=2&cursor=\(cursor)").object
        let listed = ((page1["jobs"] as? [[String: Any]] ?? []) + (page2["jobs"] as? [[String: Any]] ?? [])).compactMap { $0["id"] as? String }
        #expect(listed.count == 4)
        #expect(Set(listed).isSubset(of: Set(ids)))
        #expect(try await stack.get("/v1/jobs?state=bogus").status == 422)

        // Cancel a waiting job: 200; again: 409; unknown: 404.
        let cancelled = try await stack.request("DELETE", "/v1/jobs/\(ids[0])")
        #expect(cancelled.status == 200)
        #expect(cancelled.object["state"] as? String == "cancelled")
        let again = try await stack.request("DELETE", "/v1/jobs/\(ids[0])")
        #expect(again.status == 409)
        #expect(Self.errorCode(again) == "conflict")
        #expect(try await stack.request("DELETE", "/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W").status == 404)

        // Retry: a cancelled job runs again; a waiting one cannot be retried.
        #expect(try await stack.request("POST", "/v1/jobs/\(ids[0])/retry").status == 202)
        #expect(try await stack.waitForJob(ids[0])["state"] as? String == "completed")
        #expect(try await stack.request("POST", "/v1/jobs/\(ids[1])/retry").status == 409)

        // Pause, resume, purge.
        #expect(try await stack.request("POST", "/v1/queues/default/pause").status == 200)
        let paused = try #require(try await stack.post("/v1/jobs", json: ["type": "test.noop"]).object["id"] as? String)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await inspector.job(paused).state == .pending, "a paused queue keeps its jobs")
        let queues = try await stack.get("/v1/queues").object["queues"] as? [[String: Any]]
        #expect(queues?.first { $0["name"] as? String == "default" }?["paused"] as? Bool == true)
        #expect(try await stack.request("POST", "/v1/queues/default/resume").status == 200)
        #expect(try await stack.waitForJob(paused)["state"] as? String == "completed")
        let purge = try await stack.request("DELETE", "/v1/queues/default/jobs?state=scheduled")
        #expect(purge.object["deleted"] as? Int == 4)
        #expect(try await stack.request("DELETE", "/v1/queues/default/jobs?state=active").status == 422)

        let workers = try await stack.get("/v1/workers").object["workers"] as? [[String: Any]]
        #expect(workers?.count == 1)
        let metrics = try await stack.get("/metrics")
        #expect(metrics.text.contains(#"offload_queue_jobs{queue="default",state="completed"}"#))
        #expect(metrics.text.contains("offload_jobs_submitted_total"))
        #expect(metrics.text.contains(#"offload_jobs_completed_total{queue="default",type="test.noop"} 2"#), "the cancelled-then-retried job and the paused one")
        #expect(metrics.text.contains(#"offload_job_duration_seconds_count{queue="default",type="test.noop"} 2"#))
        #expect(metrics.text.contains(#"offload_job_duration_seconds_bucket{queue="default",type="test.noop",le="+Inf"} 2"#))
        #expect(metrics.text.contains("# TYPE offload_job_duration_seconds histogram"))
        await stack.stop()
    }

    /// A known path asked with a method it does not have: 405, `Allow` with the path's methods
    /// and the JSON error. An unknown path stays 404 whatever the method.
    @Test func wrongMethodGives405WithAllow() async throws {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        try await stack.startAPI()
        let cases: [(method: String, path: String, allow: String)] = [
            ("PUT", "/v1/jobs", "GET, HEAD, POST"),
            ("DELETE", "/healthz", "GET, HEAD"),
            ("POST", "/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W", "DELETE, GET, HEAD"),
            ("GET", "/v1/jobs/batch", "POST"),
            ("PATCH", "/v1/queues/default/settings", "PUT"),
            ("OPTIONS", "/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W/retry", "POST"),
            ("POST", "/", "GET, HEAD"),
            ("POST", "/v1/queues/default", "DELETE"),
        ]
        for (method, path, allow) in cases {
            let response = try await stack.request(method, path, body: Data("{}".utf8))
            #expect(response.status == 405, "\(method) \(path): HTTP \(response.status) \(response.text.prefix(300))")
            #expect(response.header("allow") == allow, "\(method) \(path): Allow \(response.header("allow") ?? "missing")")
            #expect(response.header("content-type")?.hasPrefix("application/json") == true, "\(method) \(path)")
            #expect(Self.errorCode(response) == "method_not_allowed", "\(method) \(path): \(response.text.prefix(300))")
            let message = (response.object["error"] as? [String: Any])?["message"] as? String
            #expect(message?.contains(allow) == true, "\(method) \(path): the message names the allowed methods")
        }
        let head = try await stack.request("HEAD", "/v1/jobs/batch")
        #expect(head.status == 405 && head.header("allow") == "POST", "HEAD /v1/jobs/batch: HTTP \(head.status)")
        for (method, path) in [("PUT", "/v1/nope"), ("GET", "/v1/jobs/x/cancel"), ("DELETE", "/v2/jobs"), ("POST", "/v1/queues/default/nope")] {
            let response = try await stack.request(method, path, body: Data("{}".utf8))
            #expect(response.status == 404, "\(method) \(path): HTTP \(response.status)")
            #expect(response.header("allow") == nil, "\(method) \(path)")
            #expect(Self.errorCode(response) == "not_found", "\(method) \(path): \(response.text.prefix(300))")
        }
        // The right method still works on the same paths.
        #expect(try await stack.get("/healthz").status == 200)
        await stack.stop()
    }

    /// HEAD answers as GET would, without the body (RFC 9110 §9.3.2), errors included, and
    /// the connection goes on serving.
    @Test func headAnswersLikeGetWithoutABody() async throws {
        let stack = try OffloadStack(redisURL: TestRedis.url)
        try await stack.startAPI()
        for path in ["/healthz", "/readyz", "/v1/queues", "/openapi.json", "/", "/v1/jobs/default.01M88ZFP3J1NK2J7A03ZEEYF1W", "/v1/nope"] {
            let get = try await stack.get(path)
            let head = try await stack.request("HEAD", path)
            #expect(head.status == get.status, "HEAD \(path): HTTP \(head.status), GET: \(get.status)")
            #expect(head.body.isEmpty, "HEAD \(path) has a body: \(head.text.prefix(200))")
            #expect(head.header("content-type") == get.header("content-type"), "HEAD \(path)")
            #expect(head.header("content-length") == String(get.body.count), "HEAD \(path): the length GET's body has")
        }
        // An error to HEAD, then another request on the same connection.
        let reply = try BadInputTests.rawRequest(
            port: stack.apiPort,
            Array("HEAD /v1/jobs/batch HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        #expect(reply.hasPrefix("HTTP/1.1 405"), "\(reply.prefix(200))")
        #expect(reply.components(separatedBy: "HTTP/1.1 ").count == 3, "two answers: \(reply)")
        #expect(reply.hasSuffix(#"{"status":"ok"}"#), "the second answer follows the first's head: \(reply)")
        await stack.stop()
    }

    /// `/metrics` counts each request under the status it was answered with, not as a 500
    /// because the error that made the answer passed the metrics on its way out.
    @Test func metricsCountRequestsUnderTheStatusSent() async throws {
        let (stack, _) = try await Self.readyStack()
        let id = try #require(try await stack.post("/v1/jobs", json: ["type": "test.noop", "delay_seconds": 300]).object["id"] as? String)
        #expect(try await stack.request("POST", "/v1/jobs/garbage/retry").status == 404)
        #expect(try await stack.request("POST", "/v1/jobs", body: Data("{".utf8)).status == 400)
        #expect(try await stack.request("PUT", "/v1/queues/default/settings", body: Data(#"{"max_depth": 0}"#.utf8)).status == 422)
        #expect(try await stack.request("DELETE", "/v1/jobs/\(id)").status == 200)
        #expect(try await stack.request("DELETE", "/v1/jobs/\(id)").status == 409)
        #expect(try await stack.request("OPTIONS", "/v1/jobs").status == 405)
        #expect(try await stack.request("HEAD", "/v1/jobs/garbage").status == 404)
        let metrics = try await stack.get("/metrics").text
        for (route, method, status) in [
            ("/v1/jobs/{id}/retry", "POST", 404), ("/v1/jobs", "POST", 400), ("/v1/queues/{name}/settings", "PUT", 422),
            ("/v1/jobs/{id}", "DELETE", 409), ("NotFound", "OPTIONS", 405), ("/v1/jobs/{id}", "HEAD", 404),
        ] {
            let labels = #"http_route="\#(route)",http_request_method="\#(method)""#
            #expect(metrics.contains(#"hb_requests{\#(labels),http_response_status_code="\#(status)"} 1"#), "\(method) \(route) \(status)")
            #expect(metrics.contains(#"hb_request_errors{\#(labels),error_type="\#(status)"} 1"#), "\(method) \(route) \(status)")
        }
        #expect(metrics.contains(#"hb_requests{http_route="/v1/jobs/{id}",http_request_method="DELETE",http_response_status_code="200"} 1"#))
        #expect(!metrics.contains(#"="500""#), "no request was answered 500:\n\(metrics)")
        // Every family Offload writes itself says what it counts.
        let families = metrics.split(separator: "\n").filter { $0.hasPrefix("# TYPE offload_") }.map { $0.split(separator: " ")[2] }
        #expect(families.count >= 6, "\(families)")
        for family in families {
            #expect(metrics.contains("# HELP \(family) "), "no HELP for \(family)")
        }
        await stack.stop()
    }

    @Test func queuesAreRemovedOnlyWhenEmptyOrForcedAndUnknownOnesAre404() async throws {
        let (stack, _) = try await Self.readyStack()
        let queue = "rm-\(UUID().uuidString.prefix(6).lowercased())"
        for _ in 0..<2 { _ = try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue, "delay_seconds": 300]) }
        let refused = try await stack.request("DELETE", "/v1/queues/\(queue)")
        #expect(refused.status == 409 && Self.errorCode(refused) == "conflict", "\(refused.text.prefix(300))")
        #expect(try await stack.request("DELETE", "/v1/queues/\(queue)?force=yes").status == 422)
        let removed = try await stack.request("DELETE", "/v1/queues/\(queue)?force=true")
        #expect(removed.status == 200, "\(removed.text.prefix(300))")
        #expect(removed.object["deleted"] as? Int == 2 && removed.object["name"] as? String == queue)
        let listed = try await stack.get("/v1/queues").object["queues"] as? [[String: Any]] ?? []
        #expect(!listed.contains { $0["name"] as? String == queue })
        #expect(try await stack.request("DELETE", "/v1/queues/\(queue)").status == 404)
        #expect(try await stack.request("POST", "/v1/queues/\(queue)/pause").status == 404, "a typo does not make a paused queue")
        #expect(try await stack.request("POST", "/v1/queues/\(queue)/resume").status == 404)
        // Submitting to the name again starts it afresh, listed at once.
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue, "delay_seconds": 300]).status == 202)
        let relisted = try await stack.get("/v1/queues").object["queues"] as? [[String: Any]] ?? []
        #expect(relisted.contains { $0["name"] as? String == queue })
        await stack.stop()
    }

    /// Schedules over HTTP: created, listed with their next run, fired by the worker, removed.
    @Test func schedulesAreSetListedFiredAndRemoved() async throws {
        let (stack, inspector) = try await Self.readyStack()
        let queue = "default"  // the one the stack's worker serves; the stack's keys are its own
        let set = try await stack.request(
            "PUT", "/v1/schedules/beat",
            body: try JSONSerialization.data(withJSONObject: ["every_seconds": 1, "type": "test.noop", "queue": queue, "payload": ["n": 1]]))
        #expect(set.status == 200, "\(set.text.prefix(300))")
        #expect(set.object["every_seconds"] as? Int == 1 && set.object["queue"] as? String == queue)
        let listed = try #require((try await stack.get("/v1/schedules").object["schedules"] as? [[String: Any]])?.first)
        #expect(listed["name"] as? String == "beat" && listed["next_run_at"] is String, "\(listed)")
        let one = try await stack.get("/v1/schedules/beat")
        #expect(one.status == 200 && one.object["every_seconds"] as? Int == 1 && one.object["next_run_at"] is String, "\(one.text.prefix(300))")
        #expect(try await stack.get("/v1/schedules/nope").status == 404)
        // The worker fires it: one job a second.
        try await waitUntil("two runs completed") { (try await inspector.counts()[queue]?.completed ?? 0) >= 2 }

        for (body, words) in [
            (#"{"type": "test.noop"}"#, "exactly one"),
            (#"{"type": "test.noop", "cron": "* * *"}"#, "5 fields"),
            (#"{"type": "no-such-type", "every_seconds": 5}"#, "no-such-type"),
            (#"{"type": "test.noop", "every_seconds": 5, "evry": 1}"#, "unknown field 'evry'"),
        ] {
            let refused = try await stack.request("PUT", "/v1/schedules/bad", body: Data(body.utf8))
            #expect(refused.status == 422, "\(body): \(refused.status)")
            #expect(((refused.object["error"] as? [String: Any])?["message"] as? String)?.contains(words) == true, "\(body): \(refused.text.prefix(300))")
        }
        #expect(try await stack.request("PUT", "/v1/schedules/no%20spaces", body: Data(#"{"type": "test.noop", "every_seconds": 5}"#.utf8)).status == 422)
        let removed = try await stack.request("DELETE", "/v1/schedules/beat")
        #expect(removed.status == 200 && removed.object["removed"] as? Bool == true)
        #expect(try await stack.request("DELETE", "/v1/schedules/beat").status == 404)
        #expect((try await stack.get("/v1/schedules").object["schedules"] as? [Any])?.isEmpty == true)
        // No more runs once it is gone: once a run fired before the removal has finished,
        // two seconds (two periods) bring none.
        try await waitUntil("the last run finished") {
            let counts = try await inspector.counts()[queue] ?? QueueCounts()
            return counts.pending + counts.active == 0
        }
        let settled = try await inspector.counts()[queue] ?? QueueCounts()
        try await Task.sleep(for: .seconds(2))
        let later = try await inspector.counts()[queue] ?? QueueCounts()
        #expect(later.completed + later.pending + later.active == settled.completed + settled.pending + settled.active)
        await stack.stop()
    }

    /// Path parameters are percent-decoded: `%2E` is the `.` of a job id, `%2D` the `-` of a queue name.
    @Test func percentEncodedPathParametersAreDecoded() async throws {
        let (stack, _) = try await Self.readyStack()
        let queue = "pe-\(UUID().uuidString.prefix(6).lowercased())"
        let id = try #require(try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue, "delay_seconds": 300]).object["id"] as? String)
        let encodedID = id.replacingOccurrences(of: ".", with: "%2E")
        let read = try await stack.get("/v1/jobs/\(encodedID)")
        #expect(read.status == 200, "\(read.text.prefix(300))")
        #expect(read.object["id"] as? String == id)
        #expect(try await stack.get("/v1/jobs/\(id.replacingOccurrences(of: ".", with: "%2e"))").object["id"] as? String == id)
        let encodedQueue = queue.replacingOccurrences(of: "-", with: "%2D")
        let paused = try await stack.request("POST", "/v1/queues/\(encodedQueue)/pause")
        #expect(paused.status == 200, "\(paused.text.prefix(300))")
        #expect(paused.object["name"] as? String == queue)
        let cancelled = try await stack.request("DELETE", "/v1/jobs/\(encodedID)")
        #expect(cancelled.status == 200 && cancelled.object["id"] as? String == id, "\(cancelled.text.prefix(300))")
        #expect(try await stack.get("/v1/jobs/\(queue)%2E01M88ZFP3J1NK2J7A03ZEEYF1W").status == 404)
        await stack.stop()
    }

    @Test func backpressureGives429WithRetryAfter() async throws {
        let (stack, _) = try await Self.readyStack()
        let queue = "bp-\(UUID().uuidString.prefix(6))"
        #expect(try await stack.request("PUT", "/v1/queues/\(queue)/settings", body: Data(#"{"max_depth": 2}"#.utf8)).status == 200)
        for _ in 0..<2 {
            #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue]).status == 202)
        }
        let refused = try await stack.post("/v1/jobs", json: ["type": "test.noop", "queue": queue])
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") != nil)
        #expect(Self.errorCode(refused) == "queue_full")

        // A batch that the full queue refuses whole is retryable too, not a 422.
        let batch = try await stack.post("/v1/jobs/batch", json: ["jobs": [["type": "test.noop", "queue": queue], ["type": "test.noop", "queue": queue]]])
        #expect(batch.status == 429 && batch.header("retry-after") == "1", "\(batch.text.prefix(300))")
        let items = batch.object["jobs"] as? [[String: Any]] ?? []
        #expect(items.count == 2 && items.allSatisfy { ($0["error"] as? [String: Any])?["code"] as? String == "queue_full" })
        await stack.stop()
    }

    @Test func queueSettingsAreReplacedWholeListedWithTheQueueAndValidated() async throws {
        let (stack, _) = try await Self.readyStack()
        let queue = "st-\(UUID().uuidString.prefix(6))"
        let path = "/v1/queues/\(queue)/settings"
        let set = try await stack.request("PUT", path, body: Data(#"{"result_ttl_seconds": 600, "dead_max_count": 5}"#.utf8))
        #expect(set.status == 200)
        let echoed = try #require(set.json as? [String: Any])
        #expect(echoed["result_ttl_seconds"] as? Int == 600 && echoed["dead_max_count"] as? Int == 5)
        #expect(echoed["max_depth"] is NSNull && echoed["dead_max_age_seconds"] is NSNull, "defaults are present as null: \(set.text)")

        func listed() async throws -> [String: Any]? {
            let queues = try await stack.get("/v1/queues").json as? [String: Any]
            return (queues?["queues"] as? [[String: Any]])?.first { $0["name"] as? String == queue }
        }
        let entry = try #require(try await listed())
        #expect(entry["result_ttl_seconds"] as? Int == 600 && entry["dead_max_count"] as? Int == 5)
        #expect(entry["max_depth"] == nil && entry["dead_max_age_seconds"] == nil, "defaults are left out of the listing")

        for body in [#"{"dead_max_age_seconds": 10}"#, #"{"result_ttl_seconds": 0}"#, #"{"dead_max_count": -3}"#] {
            let refused = try await stack.request("PUT", path, body: Data(body.utf8))
            #expect(refused.status == 422, "\(body): HTTP \(refused.status)")
            #expect(Self.errorCode(refused) == "invalid_argument", "\(body): \(refused.text.prefix(300))")
        }
        #expect(try await stack.request("PUT", path, body: Data(#"{"result_ttl_seconds": "600"}"#.utf8)).status == 422)
        #expect(try await listed()?["result_ttl_seconds"] as? Int == 600, "a refused change changes nothing")

        #expect(try await stack.request("PUT", path, body: Data("{}".utf8)).status == 200)
        #expect(try await listed()?["result_ttl_seconds"] == nil, "an empty body puts every setting back to its default")
        await stack.stop()
    }

    @Test func bearerTokenProtectsEverythingButTheProbes() async throws {
        let (stack, _) = try await Self.readyStack(apiEnvironment: ["OFFLOAD_API_TOKEN": "s3cret-token"])
        #expect(try await stack.get("/healthz").status == 200)
        #expect(try await stack.get("/readyz").status == 200)
        let missing = try await stack.post("/v1/jobs", json: ["type": "test.noop"])
        #expect(missing.status == 401)
        #expect(Self.errorCode(missing) == "unauthorized")
        #expect(missing.header("www-authenticate") == "Bearer", "a 401 names the scheme it wants (RFC 9110 §11.6.1)")
        let wrong = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Authorization": "Bearer wrong"])
        #expect(wrong.status == 401 && wrong.header("www-authenticate") == "Bearer")
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Authorization": "Basic czNjcmV0LXRva2Vu"]).status == 401)
        // The scheme's name is case-insensitive (RFC 9110 §11.1).
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            let response = try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Authorization": "\(scheme) s3cret-token"])
            #expect(response.status == 202, "\(scheme): HTTP \(response.status)")
        }
        #expect(try await stack.get("/v1/queues").status == 401)
        // The token is checked before the method: a wrong method without it is 401, with it 405.
        #expect(try await stack.request("PUT", "/v1/jobs").status == 401)
        #expect(try await stack.request("PUT", "/v1/jobs", headers: ["Authorization": "Bearer s3cret-token"]).status == 405)
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop"], headers: ["Authorization": "Bearer s3cret-token"]).status == 202)
        #expect(!(stack.api?.output.contains("s3cret-token") ?? true), "the token never appears in logs")
        await stack.stop()
    }

    @Test func oversizedBodyGives413() async throws {
        let (stack, _) = try await Self.readyStack(apiEnvironment: ["OFFLOAD_MAX_BODY_BYTES": "1000"])
        let big = try await stack.post("/v1/jobs", json: ["type": "test.noop", "payload": ["blob": String(repeating: "x", count: 5000)]])
        #expect(big.status == 413)
        #expect(Self.errorCode(big) == "payload_too_large")
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop"]).status == 202)
        await stack.stop()
    }

    @Test func redisOutageGives503ThenRecoversWithoutRestart() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let (stack, _) = try await Self.readyStack(redisURL: redis.url)
        #expect(try await stack.post("/v1/jobs", json: ["type": "test.noop"]).status == 202)

        await redis.stop()
        let down = try await stack.post("/v1/jobs", json: ["type": "test.noop"])
        #expect(down.status == 503)
        #expect(down.header("retry-after") != nil)
        #expect(Self.errorCode(down) == "redis_unavailable")
        // A batch too is refused whole, as retryable (not a 422 naming Redis on every item),
        // also once the API's cached job types are too old to be trusted (1 s).
        try await Task.sleep(for: .milliseconds(1_100))
        let batchDown = try await stack.post("/v1/jobs/batch", json: ["jobs": [["type": "test.noop"], ["type": "test.noop"]]])
        #expect(batchDown.status == 503)
        #expect(batchDown.header("retry-after") != nil)
        #expect(Self.errorCode(batchDown) == "redis_unavailable")
        #expect(try await stack.get("/readyz").status == 503)
        #expect(try await stack.get("/healthz").status == 200)

        try await redis.start()
        try await waitUntil("the API reaches Redis again") { try await stack.get("/readyz").status == 200 }
        // The fresh server lost its data (no persistence in this test); the worker republishes
        // its types on restart, so only readiness and reads are checked here.
        #expect(try await stack.get("/v1/queues").status == 200)
        let metrics = try await stack.get("/metrics").text
        #expect(
            metrics.contains(#"hb_requests{http_route="/v1/jobs",http_request_method="POST",http_response_status_code="503"} 1"#),
            "the refused submit is counted as the 503 it was answered")
        await stack.stop()
        await redis.stop()
    }

    @Test func stalledRedisGives503NotAHang() async throws {
        let redis = try RedisServerProcess()
        try await redis.start()
        let (stack, _) = try await Self.readyStack(redisURL: redis.url)
        redis.pause()
        let started = ContinuousClock.now
        let stalled = try await stack.post("/v1/jobs", json: ["type": "test.noop"])
        #expect(stalled.status == 503)
        // Redis's 5 s command timeout, with room for a loaded machine; a hang would be the
        // client's own 30 s timeout.
        #expect(ContinuousClock.now - started < .seconds(25), "took \(ContinuousClock.now - started)")
        redis.resume()
        try await waitUntil("the API answers again") {
            try await stack.post("/v1/jobs", json: ["type": "test.noop"]).status == 202
        }
        await stack.stop()
        await redis.stop()
    }
}
