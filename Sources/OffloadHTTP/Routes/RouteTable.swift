import Hummingbird

/// The one way the API registers routes: every `get`/`post`/`group`… goes through here to
/// a route collection, which the standalone server adds to its router and a user's app
/// mounts under a prefix of its own; the table remembers which methods each path pattern
/// answers (the OpenAPI test reads it, and so does the 405 fallback).
final class RouteTable<Context: RequestContext>: RouterMethods {
    let collection = RouteCollection(context: Context.self)
    private(set) var allowedMethods = AllowedMethods()

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        allowedMethods.add(method, for: path)
        if method == .get { allowedMethods.add(.head, for: path) }
        _ = collection.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        collection.add(middleware: middleware)
        return self
    }
}

/// Path patterns and the methods each answers.
struct AllowedMethods: Sendable {
    private var routes: [(pattern: RouterPath, methods: [HTTPRequest.Method])] = []

    /// Each registered path pattern (`/v1/jobs/{id}`) with its methods.
    var registered: [(path: String, methods: [HTTPRequest.Method])] {
        routes.map { route in
            ("/" + route.pattern.map { "\($0)" }.joined(separator: "/"), route.methods)
        }
    }

    mutating func add(_ method: HTTPRequest.Method, for pattern: RouterPath) {
        if let index = routes.firstIndex(where: { $0.pattern == pattern }) {
            routes[index].methods.append(method)
        } else {
            routes.append((pattern, [method]))
        }
    }

    /// The methods of the pattern `path` resolves to, or nil when no pattern matches. Like
    /// the router, a literal segment wins over a capture (`/v1/jobs/batch` is not
    /// `/v1/jobs/{id}`). Patterns are literals and `{captures}`, matched segment by segment.
    func methods(forPath path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        var best: (methods: [HTTPRequest.Method], literals: [Bool])?
        for route in routes where route.pattern.count == segments.count {
            guard zip(route.pattern, segments).allSatisfy({ $0 ~= $1 }) else { continue }
            let literals = zip(route.pattern, segments).map { $0 == $1 }
            if best.map({ Self.isMoreSpecific(literals, than: $0.literals) }) ?? true {
                best = (route.methods, literals)
            }
        }
        return best?.methods
    }

    /// At the first segment where two matching patterns differ, the literal one wins.
    private static func isMoreSpecific(_ lhs: [Bool], than rhs: [Bool]) -> Bool {
        for (left, right) in zip(lhs, rhs) where left != right { return left }
        return false
    }
}

/// A known path asked with a method it does not answer.
struct MethodNotAllowed: Error {
    let method: HTTPRequest.Method
    let allowed: [HTTPRequest.Method]

    /// The `Allow` header's value: the path's methods, sorted.
    var allowHeader: String { allowed.map(\.rawValue).sorted().joined(separator: ", ") }
}

/// Answers 405 for a path the API knows asked with another method; anything else goes on to
/// the router's 404. Only registered through ``RouteTable/addMethodNotAllowedFallback()``.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedMethods: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allowed = allowedMethods.methods(forPath: request.uri.path), !allowed.contains(request.method) else {
            return try await next(request, context)
        }
        throw MethodNotAllowed(method: request.method, allowed: allowed)
    }
}
