import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Offload
import OffloadTestSupport
import Testing

@testable import OffloadHTTP

/// `Sources/OffloadHTTP/Assets/openapi.json` is the API's contract: the routes it documents
/// must be the routes the application registers, answering only with the statuses it
/// documents, and the server hands out that file as it is.
@Suite struct OpenAPIDocumentTests {
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    @Test func documentIsOpenAPI31() throws {
        let document = try Self.documentFromSources()
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
    }

    /// Every route the application registers is documented, with each of its methods
    /// (the dashboard's `/` and its assets aside): a new route cannot go out undocumented.
    @Test func everyRegisteredRouteIsDocumented() throws {
        let document = try Self.documentFromSources()
        let operations = try Self.operations(in: document)
        let client = try OffloadClient.forTests()
        let routes: RouteTable<BasicRequestContext> = buildRoutes(client: client, configuration: OffloadHTTPConfiguration(), prefix: "")
        let registered = routes.allowedMethods.registered
        #expect(registered.contains { $0.path == "/v1/schedules/{name}" }, "\(registered.map(\.path))")
        for (path, methods) in registered where path != "/" && !path.hasPrefix("/dashboard") {
            for method in methods where method != .head {
                #expect(
                    operations.contains { $0.path == path && $0.method == method },
                    "\(method) \(path) is registered but not in openapi.json")
            }
        }
    }

    /// Every documented operation answers with one of its documented statuses (and content
    /// types); documented paths answer undocumented methods with 405; undocumented paths are 404.
    @Test func documentedRoutesAreTheRegisteredRoutes() async throws {
        let document = try Self.documentFromSources()
        let operations = try Self.operations(in: document)
        #expect(operations.count >= 17)
        let errorCodes = Set(document["components"]?["schemas"]?["ErrorCode"]?["enum"].map(Self.strings) ?? [])
        #expect(errorCodes == APIError.allCodes)

        var configuration = APIConfiguration()
        configuration.redisURL = TestRedis.url
        configuration.keyPrefix = TestRedis.uniquePrefix("openapi")
        let app = try buildApplication(configuration: configuration)
        try await app.test(.router) { client in
            // What the router answers when no route matches.
            let noRoute = try await client.execute(uri: "/no-such-route-\(UInt32.random(in: 0...UInt32.max))", method: .get)
            #expect(noRoute.status == .notFound)
            let noRouteBody = String(buffer: noRoute.body)

            for operation in operations {
                let response = try await client.execute(
                    uri: operation.uri, method: operation.method, headers: operation.headers, body: operation.body)
                let status = String(response.status.code)
                #expect(
                    !(response.status == .notFound && String(buffer: response.body) == noRouteBody),
                    "\(operation.method) \(operation.path) is documented but no route answers it")
                let documented = operation.responses[status]
                #expect(
                    documented != nil,
                    "\(operation.method) \(operation.uri) answered \(status), documented: \(operation.responses.keys.sorted())")
                if let documented, response.body.readableBytes > 0 {
                    let mediaType = response.headers[.contentType]?.split(separator: ";").first.map(String.init) ?? ""
                    #expect(
                        documented.contains(mediaType),
                        "\(operation.method) \(operation.uri) \(status) is \(mediaType), documented: \(documented.sorted())")
                }
                // HEAD answers wherever GET does, as GET would but without the body (RFC 9110 §9.3.2).
                if operation.method == .get {
                    let head = try await client.execute(
                        uri: operation.uri, method: .head, headers: operation.headers, body: operation.body)
                    #expect(head.status == response.status, "HEAD \(operation.uri) answered \(head.status.code), GET \(status)")
                    #expect(head.body.readableBytes == 0, "HEAD \(operation.uri) has a body")
                }
                // Errors are `{"error": {"code", "message"}}` with a documented code (a failed
                // batch is the exception: a `BatchResponse` with an error per item).
                if response.status.code >= 400, let error = JSONValue(jsonText: String(buffer: response.body))?["error"] {
                    let code = error["code"]?.stringValue
                    #expect(
                        code.map(errorCodes.contains) == true && error["message"]?.stringValue != nil,
                        "\(operation.method) \(operation.uri): error body \(String(buffer: response.body))")
                }
            }

            // Documented paths answer nothing but their documented methods (and HEAD where GET
            // is documented): any other is 405 with an `Allow` header that lists exactly those.
            let documentedURIs = Set(operations.map { $0.uri.split(separator: "?")[0] })
            for (path, uri) in Set(operations.map { [$0.path, String($0.uri.split(separator: "?")[0])] }).map({ ($0[0], $0[1]) }) {
                var documentedMethods = Set(operations.filter { $0.path == path }.map(\.method))
                if documentedMethods.contains(.get) { documentedMethods.insert(.head) }
                let allow = documentedMethods.map(\.rawValue).sorted().joined(separator: ", ")
                for method in Self.methods + [.head, .options, .trace, HTTPRequest.Method("QUERY")!] where !documentedMethods.contains(method) {
                    let response = try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}"))
                    #expect(response.status == .methodNotAllowed, "\(method) \(path) is not documented but answered \(response.status.code)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path): Allow is \(response.headers[.allow] ?? "missing")")
                    if method != .head {
                        let code = JSONValue(jsonText: String(buffer: response.body))?["error"]?["code"]?.stringValue
                        #expect(code == "method_not_allowed", "\(method) \(path): \(String(buffer: response.body))")
                    }
                }
            }

            // Paths near the documented ones are not routes: their parents, their children and
            // a few likely names. (`/` and `/dashboard/…` serve the dashboard, not the API.)
            var undocumented: Set<String> = [
                "/v1/job", "/v2/jobs", "/v1/jobs/default.01J9ZQ4K3V8Y6Q2W5E7R9T1Y3U/cancel", "/v1/queues/default/drain",
                "/v1/queues/default/purge", "/v1/workers/w1", "/health", "/ready", "/openapi.yaml", "/docs", "/v1/openapi.json",
            ]
            for uri in documentedURIs {
                undocumented.insert(uri + "/more")
                var parent = uri
                while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                    parent = parent[..<slash]
                    if !documentedURIs.contains(parent) { undocumented.insert(String(parent)) }
                }
            }
            // (`/v1/jobs/more` is not among them: it is `/v1/jobs/{id}` with the id "more".)
            for uri in undocumented.sorted() where !operations.contains(where: { Self.fits(uri, template: $0.path) }) {
                for method in Self.methods {
                    let response = try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}"))
                    #expect(response.status == .notFound, "\(method) \(uri) is not documented but answered \(response.status.code)")
                }
            }

            // And the server hands out the document it embeds.
            let served = try await client.execute(uri: "/openapi.json", method: .get)
            let servedDocument = try #require(JSONValue(jsonText: String(buffer: served.body)))
            let difference = Self.firstDifference(document, servedDocument)
            #expect(difference == nil, "/openapi.json differs from Assets/openapi.json at \(difference ?? "")")
        }
    }

    // MARK: The document

    struct Operation {
        let path: String
        let method: HTTPRequest.Method
        /// The path with placeholder parameters and required query parameters filled in.
        let uri: String
        let headers: HTTPFields
        let body: ByteBuffer?
        /// Documented status → documented media types (empty when the response has no body).
        let responses: [String: Set<String>]
    }

    /// The file as edited, read from the source tree (not the copy compiled into the binary).
    static func documentFromSources() throws -> JSONValue {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Sources/OffloadHTTP/Assets/openapi.json"), encoding: .utf8)
        return try #require(JSONValue(jsonText: text), "Assets/openapi.json is not JSON")
    }

    static func operations(in document: JSONValue) throws -> [Operation] {
        guard case .object(let paths)? = document["paths"] else { throw TestSupportError("the document has no paths") }
        var result: [Operation] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            guard case .object(let entries) = item else { continue }
            let shared = parameters(entries["parameters"], in: document)
            for method in methods {
                let key = method.rawValue.lowercased()
                guard let operation = entries[key] else { continue }
                let parameters = shared + self.parameters(operation["parameters"], in: document)
                var uri = path
                var query: [String] = []
                var headers: HTTPFields = [:]
                for parameter in parameters {
                    guard let name = parameter["name"]?.stringValue, let location = parameter["in"]?.stringValue else { continue }
                    let value = placeholder(for: parameter, in: document)
                    switch location {
                    case "path": uri = uri.replacingOccurrences(of: "{\(name)}", with: value)
                    case "query" where parameter["required"] == .bool(true): query.append("\(name)=\(value)")
                    case "header" where parameter["required"] == .bool(true): headers[.init(name)!] = value
                    default: break
                    }
                }
                if !query.isEmpty { uri += "?" + query.joined(separator: "&") }
                var body: ByteBuffer?
                if let requestBody = operation["requestBody"].map({ resolve($0, in: document) }) {
                    let schema = requestBody["content"]?["application/json"]?["schema"].map { resolve($0, in: document) }
                    body = ByteBuffer(string: schema?["examples"].flatMap(first)?.jsonText ?? "{}")
                    headers[.contentType] = "application/json"
                }
                var responses: [String: Set<String>] = [:]
                if case .object(let documented)? = operation["responses"] {
                    for (status, response) in documented {
                        if case .object(let content)? = resolve(response, in: document)["content"] {
                            responses[status] = Set(content.keys)
                        } else {
                            responses[status] = []
                        }
                    }
                }
                result.append(Operation(path: path, method: method, uri: uri, headers: headers, body: body, responses: responses))
            }
        }
        return result
    }

    static func parameters(_ list: JSONValue?, in document: JSONValue) -> [JSONValue] {
        guard case .array(let items)? = list else { return [] }
        return items.map { resolve($0, in: document) }
    }

    /// A value the parameter's schema allows: its example, its first enum value, or "x".
    static func placeholder(for parameter: JSONValue, in document: JSONValue) -> String {
        let schema = parameter["schema"].map { resolve($0, in: document) }
        let value = parameter["example"] ?? schema?["example"] ?? schema?["enum"].flatMap(first) ?? schema?["default"]
        switch value {
        case .string(let text)?: return text
        case .some(let other): return other.jsonText
        case nil: return "x"
        }
    }

    /// Follows a local `$ref` ("#/components/…").
    static func resolve(_ value: JSONValue, in document: JSONValue) -> JSONValue {
        guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var current: JSONValue? = document
        for component in reference.dropFirst(2).split(separator: "/") { current = current?[String(component)] }
        return current.map { resolve($0, in: document) } ?? value
    }

    /// The JSON pointer of the first place two documents differ, or nil when they are equal.
    static func firstDifference(_ lhs: JSONValue, _ rhs: JSONValue, at pointer: String = "") -> String? {
        switch (lhs, rhs) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                guard let l = left[key], let r = right[key] else { return "\(pointer)/\(key)" }
                if let difference = firstDifference(l, r, at: "\(pointer)/\(key)") { return difference }
            }
            return nil
        case (.array(let left), .array(let right)):
            guard left.count == right.count else { return pointer }
            for (index, (l, r)) in zip(left, right).enumerated() {
                if let difference = firstDifference(l, r, at: "\(pointer)/\(index)") { return difference }
            }
            return nil
        default:
            return lhs == rhs ? nil : (pointer.isEmpty ? "/" : pointer)
        }
    }

    /// Whether a concrete path fits a documented one such as `/v1/jobs/{id}`.
    static func fits(_ uri: String, template: String) -> Bool {
        let segments = uri.split(separator: "/"), templateSegments = template.split(separator: "/")
        return segments.count == templateSegments.count
            && zip(segments, templateSegments).allSatisfy { $1.hasPrefix("{") || $0 == $1 }
    }

    static func first(_ value: JSONValue) -> JSONValue? {
        if case .array(let items) = value { return items.first }
        return nil
    }

    static func strings(_ value: JSONValue) -> [String] {
        if case .array(let items) = value { return items.compactMap(\.stringValue) }
        return []
    }
}
