import ArgumentParser
import BTCRateCore
import BTCRateGraph
import LibSystemd
import ServiceLifecycle

/// `btcrate graph`: the HTTP service with the interactive page and PNG graphs.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Serve the interactive graph page, PNG graphs and JSON/CSV data over HTTP.",
        discussion: """
            Listens on graph.listen (BTCRATE_LISTEN; default 127.0.0.1:8610, loopback only) and serves /, \
            /graph.png, /graph.json, /data.json, /data.csv, /healthz and /metrics (see the README). Reads \
            the RRD files in the state directory; never writes them. Graphs are drawn by graph.render_workers \
            worker processes (BTCRATE_RENDER_WORKERS; default one per CPU) behind a queue of graph.max_queue \
            (64; beyond it the dearest render gets 503 with Retry-After), each render within graph.render_timeout (10s; a worker that \
            crashes or hangs is killed and replaced), with a cache. Connections: graph.idle_timeout (30s), 10 s \
            for a request's headers, graph.max_connections (1000); the open-file limit is raised to its hard \
            limit at start. Tells systemd READY=1 once listening; stops cleanly on SIGTERM or SIGINT. SIGHUP \
            (systemctl reload) re-reads the configuration and, when it is valid, rebinds with it; an \
            invalid one is reported and the running service stays.
            """
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "graph")
        let service = ReloadingService(configPath: common.config, component: "graph", initial: context) { context, _ in
            GraphServices(context: context).application
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: context.logger))
        try await group.run()
        context.logger.info("graph service stopped")
    }
}

/// The graph service as `graph` and `run` host it.
struct GraphServices {
    let application: any Service

    init(context: AppContext) {
        let logger = context.logger
        let listen = context.configuration.listen
        let service = GraphService(configuration: context.configuration, logger: logger)
        application = service.buildApplication {
            logger.notice("graph service listening on http://\(listen)/", metadata: ["listen": "\(listen)"])
            ServiceNotifier.notify("READY=1\nSTATUS=serving graphs on http://\(listen)/")
        }
    }
}
