import Hummingbird
import Offload

/// `/v1/queues` and `/v1/workers`: look at and operate queues; list live workers.
struct QueueRoutes<Context: RequestContext>: Sendable {
    let inspector: Inspector
    let maxBodyBytes: Int

    func register(on routes: RouteTable<Context>) {
        routes.get("v1/queues") { _, _ in
            try JSONResponse.make(QueueList(queues: try await inspector.queues()))
        }
        routes.post("v1/queues/{name}/pause") { _, context in
            let name = try Self.queueName(context)
            try await inspector.pause(queue: name)
            return try JSONResponse.make(QueueState(name: name, paused: true))
        }
        routes.post("v1/queues/{name}/resume") { _, context in
            let name = try Self.queueName(context)
            try await inspector.resume(queue: name)
            return try JSONResponse.make(QueueState(name: name, paused: false))
        }
        routes.put("v1/queues/{name}/settings") { request, context in
            let name = try Self.queueName(context)
            let body = try await RequestBody.collect(request, limit: maxBodyBytes)
            let settings = try RequestDecoding.decode(QueueSettingsBody.self, from: body.readableBytesView).settings
            try await inspector.setSettings(queue: name, settings)
            return try JSONResponse.make(settings)
        }
        routes.delete("v1/queues/{name}/jobs") { request, context in
            let name = try Self.queueName(context)
            guard let stateText = request.uri.queryParameters.get("state"), let state = JobState(rawValue: stateText) else {
                throw OffloadError(invalid: "state", "is required: one of scheduled, pending, completed, dead, cancelled")
            }
            return try JSONResponse.make(PurgeResult(deleted: try await inspector.purge(queue: name, state: state)))
        }
        routes.delete("v1/queues/{name}") { request, context in
            let name = try Self.queueName(context)
            let force: Bool
            switch request.uri.queryParameters.get("force") {
            case nil, "false": force = false
            case "true": force = true
            case let other?: throw OffloadError(invalid: "force", "must be true or false, not '\(other)'")
            }
            let deleted = try await inspector.removeQueue(name, force: force)
            return try JSONResponse.make(RemovedQueue(name: name, deleted: deleted))
        }
        routes.get("v1/workers") { _, _ in
            try JSONResponse.make(WorkerList(workers: try await inspector.workers()))
        }
    }

    /// The path's queue name; the engine checks it against the queue-name rule.
    static func queueName(_ context: Context) throws -> String {
        try context.parameters.require("name")
    }
}

struct QueueList: Encodable { let queues: [QueueInfo] }
struct WorkerList: Codable { let workers: [WorkerInfo] }
struct PurgeResult: Codable { let deleted: Int }
struct RemovedQueue: Codable {
    let name: String
    /// Jobs deleted with it (with `force`).
    let deleted: Int
}

struct QueueState: Codable {
    let name: String
    let paused: Bool
}
