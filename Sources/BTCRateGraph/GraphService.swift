import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import LibSystemd
import Logging

/// The graph service: builds the router and the application. Router and
/// handlers are small and testable without sockets (`app.test(.router)`).
public struct GraphService: Sendable {
    let configuration: Configuration
    let store: GraphStore
    let cache: RenderCache<RenderedGraph>
    let metrics: GraphMetrics
    let clock: any WallClock
    let logger: Logger

    public init(configuration: Configuration, renderThread: RenderThread = .shared,
                clock: any WallClock = SystemClock(), logger: Logger) {
        self.configuration = configuration
        self.store = GraphStore(configuration: configuration, renderThread: renderThread)
        self.cache = RenderCache(capacity: configuration.graphCacheEntries)
        self.metrics = GraphMetrics()
        self.clock = clock
        self.logger = logger
        // librrd 1.7.2 has no --utc: graphs follow the process time zone, and btcrate shows UTC.
        setenv("TZ", "UTC", 1)
        tzset()
    }

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ResponseHeadersMiddleware(metrics: metrics))
        router.add(middleware: HostCheckMiddleware(allowed: configuration.resolvedAllowedHosts))
        let endpoints = GraphEndpoints(service: self)
        router.get("/") { _, _ in Self.asset(PageHTML.index, type: "text/html; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Self.asset(PageScript.app, type: "text/javascript; charset=utf-8") }
        router.get("/static/style.css") { _, _ in Self.asset(PageCSS.style, type: "text/css; charset=utf-8") }
        router.get("/static/icon.svg") { _, _ in Self.asset(PageHTML.icon, type: "image/svg+xml") }
        router.get("/graph.png") { request, _ in await endpoints.graphPNG(request) }
        router.get("/graph.json") { request, _ in await endpoints.graphJSON(request) }
        router.get("/data.json") { request, _ in await endpoints.data(request, csv: false) }
        router.get("/data.csv") { request, _ in await endpoints.data(request, csv: true) }
        router.get("/healthz") { _, _ in await endpoints.health() }
        router.get("/alerts.json") { _, _ in endpoints.alerts() }
        router.get("/metrics") { _, _ in await endpoints.metricsText() }
        return router
    }

    /// The HTTP application on `graph.listen`. `onReady` runs once the socket listens
    /// (the graph command sends READY=1 to systemd there).
    public func buildApplication(onReady: @escaping @Sendable () async -> Void = {}) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                 serverName: "btcrate"),
            onServerRunning: { _ in await onReady() },
            logger: logger)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

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
