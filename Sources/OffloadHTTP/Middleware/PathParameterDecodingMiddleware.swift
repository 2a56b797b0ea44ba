import Foundation
import Hummingbird

/// Path parameters as the client meant them. The router matches the path as sent, so
/// `/v1/jobs/default%2E01J…` captures `default%2E01J…`; this percent-decodes every
/// parameter once, for every route. A parameter that does not decode to UTF-8 stays as sent:
/// no job or queue has such a name, so it is answered like any unknown one.
struct PathParameterDecodingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.parameters.contains(where: { $0.value.contains("%") }) else { return try await next(request, context) }
        var context = context
        context.coreContext.parameters = Parameters(
            context.parameters.map { ($0.key, $0.value.removingPercentEncoding.map { $0[...] } ?? $0.value) })
        return try await next(request, context)
    }
}
