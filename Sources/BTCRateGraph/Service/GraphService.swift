import BTCRateCore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The graph service: builds the router and the application. Router and
/// handlers are small and testable without sockets (`app.test(.router)`).
///
/// The HTTP process never calls librrd's graph or export functions: those run
/// in `graph.render_workers` worker processes (`RenderPool`), behind a bounded
/// queue. Connections are capped and timed out (`GraphHTTPChannel`).
public struct GraphService: Sendable {
    let configuration: Configuration
    let store: GraphStore
    let annotations: AlertAnnotations
    let cache: RenderCache<RenderedGraph>
    let metrics: GraphMetrics
    let renderPool: RenderPool
    let connections: ClientConnections
    let clock: any WallClock
    let logger: Logger

    /// Longest time from a connection's opening, or a request's first byte, to
    /// its complete head.
    static let headTimeout = TimeAmount.seconds(10)

    public init(configuration: Configuration, workerCommand: WorkerCommand = .thisBinary,
                clock: any WallClock = SystemClock(), logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        metrics = GraphMetrics()
        renderPool = RenderPool(
            settings: .init(workers: configuration.resolvedRenderWorkers, maxQueue: configuration.graphMaxQueue,
                            timeout: configuration.renderTimeout, command: workerCommand),
            metrics: metrics, logger: logger)
        store = GraphStore(configuration: configuration, renderPool: renderPool)
        annotations = AlertAnnotations(stateDirectory: configuration.stateDirectory)
        cache = RenderCache(capacity: configuration.graphCacheEntries)
        let files = OpenFileLimit.raise()
        let cap = OpenFileLimit.connectionCap(configured: configuration.graphMaxConnections, files: files,
                                              workers: configuration.resolvedRenderWorkers)
        if cap < configuration.graphMaxConnections {
            logger.warning("graph.max_connections is \(configuration.graphMaxConnections), but the open-file limit is \(files): at most \(cap) connections (raise LimitNOFILE= or ulimit -n)",
                           metadata: ["error_class": "config"])
        }
        connections = ClientConnections(limit: cap)
    }

    public func buildRouter() -> Router<GraphRequestContext> {
        // HEAD answers wherever GET does, with the same headers and no body.
        let router = Router(context: GraphRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: ResponseHeadersMiddleware(metrics: metrics))
        router.add(middleware: HostCheckMiddleware(allowed: configuration.resolvedAllowedHosts))
        router.add(middleware: MethodCheckMiddleware())
        let graphs = GraphEndpoints(service: self)
        let status = StatusEndpoints(service: self)
        router.get("/") { _, _ in Self.asset(PageHTML.index, type: "text/html; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Self.asset(PageScript.app, type: "text/javascript; charset=utf-8") }
        router.get("/static/style.css") { _, _ in Self.asset(PageCSS.style, type: "text/css; charset=utf-8") }
        router.get("/static/icon.svg") { _, _ in Self.asset(PageHTML.icon, type: "image/svg+xml") }
        router.get("/graph.png") { request, context in await graphs.graphPNG(request, context: context) }
        router.get("/graph.json") { request, context in await graphs.graphJSON(request, context: context) }
        router.get("/data.json") { request, context in await graphs.data(request, context: context, csv: false) }
        router.get("/data.csv") { request, context in await graphs.data(request, context: context, csv: true) }
        router.get("/healthz") { _, _ in await status.health() }
        router.get("/alerts.json") { _, _ in await status.alerts() }
        router.get("/metrics") { _, _ in await status.metrics() }
        return router
    }

    /// The HTTP application on `graph.listen`, with the render workers as one of
    /// its services (started before it listens, stopped after it). `onReady`
    /// runs once the socket listens (the graph command sends READY=1 there).
    public func buildApplication(onReady: @escaping @Sendable () async -> Void = {}) -> some ApplicationProtocol {
        let connections = connections
        let metrics = metrics
        let idle = Duration.seconds(configuration.graphIdleTimeout)
        var application = Application(
            router: buildRouter(),
            server: HTTPServerBuilder { responder in
                GraphHTTPChannel(responder: responder, connections: connections, idleTimeout: idle,
                                 headTimeout: Self.headTimeout, metrics: metrics)
            },
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                 serverName: "btcrate"),
            services: [RenderPoolService(pool: renderPool)],
            onServerRunning: { _ in await onReady() },
            logger: logger)
        let pool = renderPool
        application.beforeServerStarts { await pool.start() }
        return application
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Keeps the render workers for as long as the application runs, and ends them
/// after the server has stopped taking requests.
struct RenderPoolService: Service {
    let pool: RenderPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.stop()
    }
}
