import HTTPTypes
import Hummingbird

/// Headers every answer carries, and the request count for /metrics.
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GraphMetrics

    static var knownPaths: Set<String> {
        ["/", "/static/app.js", "/static/style.css", "/static/icon.svg", "/graph.png", "/graph.json", "/data.json", "/data.csv", "/healthz", "/metrics", "/alerts.json"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = Response(status: error.status)
        } catch {
            response = Response(status: .internalServerError)
        }
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        let path = Self.knownPaths.contains(request.uri.path) ? request.uri.path : "other"
        metrics.countRequest(endpoint: path, status: response.status.code)
        return response
    }
}

/// GET and HEAD are the only methods: the service changes nothing. Any other
/// method on one of its paths gets 405 with `Allow` (unknown paths stay 404).
struct MethodCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head,
              ResponseHeadersMiddleware<Context>.knownPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        var headers = HTTPFields()
        headers[.allow] = "GET, HEAD"
        return ErrorAnswer(.methodNotAllowed, "only GET and HEAD are allowed here").response.with(headers: headers)
    }
}

extension Response {
    /// The same response with `extra` headers set.
    func with(headers extra: HTTPFields) -> Response {
        var copy = self
        for field in extra { copy.headers[field.name] = field.value }
        return copy
    }
}
