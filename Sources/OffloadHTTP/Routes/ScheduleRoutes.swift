import Hummingbird
import Offload

/// `/v1/schedules`: jobs submitted every N seconds or on a cron expression, fired by the
/// workers.
struct ScheduleRoutes<Context: RequestContext>: Sendable {
    let inspector: Inspector
    let maxBodyBytes: Int

    func register(on routes: RouteTable<Context>) {
        routes.get("v1/schedules") { _, _ in
            try JSONResponse.make(ScheduleList(schedules: try await inspector.schedules()))
        }
        routes.get("v1/schedules/{name}") { _, context in
            try JSONResponse.make(try await inspector.schedule(try Self.scheduleName(context)))
        }
        routes.put("v1/schedules/{name}") { request, context in
            let name = try Self.scheduleName(context)
            let body = try await RequestBody.collect(request, limit: maxBodyBytes)
            let request = try RequestDecoding.decode(ScheduleBody.self, from: body.readableBytesView)
            let schedule = request.schedule(named: name)
            try await inspector.setSchedule(schedule, allowUnknownType: request.allowUnknownType ?? false)
            return try JSONResponse.make(schedule)
        }
        routes.delete("v1/schedules/{name}") { _, context in
            let name = try Self.scheduleName(context)
            try await inspector.removeSchedule(name)
            return try JSONResponse.make(RemovedSchedule(name: name, removed: true))
        }
    }

    /// The path's schedule name; the engine checks it against the name rule.
    static func scheduleName(_ context: Context) throws -> String {
        try context.parameters.require("name")
    }
}

/// The body of `PUT /v1/schedules/{name}`: the timing and the job (the name is the path's).
struct ScheduleBody: Decodable {
    let cron: String?
    let everySeconds: Int?
    let type: String
    let payload: JSONValue?
    let queue: String?
    let priority: Int?
    let maxAttempts: Int?
    let timeoutSeconds: Int?
    let allowUnknownType: Bool?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONFieldKey.self)
        try container.refuseFields(notIn: [
            "cron", "every_seconds", "type", "payload", "queue", "priority", "max_attempts", "timeout_seconds", "allow_unknown_type",
        ])
        cron = try container.decodeIfPresent(String.self, forKey: JSONFieldKey("cron"))
        everySeconds = try container.decodeWholeNumberIfPresent(forKey: JSONFieldKey("every_seconds"))
        type = try container.decode(String.self, forKey: JSONFieldKey("type"))
        payload = try container.decodeIfPresent(JSONValue.self, forKey: JSONFieldKey("payload"))
        queue = try container.decodeIfPresent(String.self, forKey: JSONFieldKey("queue"))
        priority = try container.decodeWholeNumberIfPresent(forKey: JSONFieldKey("priority"))
        maxAttempts = try container.decodeWholeNumberIfPresent(forKey: JSONFieldKey("max_attempts"))
        timeoutSeconds = try container.decodeWholeNumberIfPresent(forKey: JSONFieldKey("timeout_seconds"))
        allowUnknownType = try container.decodeIfPresent(Bool.self, forKey: JSONFieldKey("allow_unknown_type"))
    }

    /// The schedule as the body gives it; the engine checks it (`Inspector.setSchedule`).
    func schedule(named name: String) -> JobSchedule {
        JobSchedule(
            name: name, cron: cron, everySeconds: everySeconds, type: type, payload: payload?.jsonText ?? "{}", queue: queue ?? "default",
            priority: priority ?? 0, maxAttempts: maxAttempts, timeoutSeconds: timeoutSeconds)
    }
}

struct ScheduleList: Encodable { let schedules: [ScheduleInfo] }
struct RemovedSchedule: Codable {
    let name: String
    let removed: Bool
}
