import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle

/// `btcrate run`: the whole stack in the foreground, without systemd.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the stack in the foreground: the collector every 10 minutes, the graph service and the watchdog.",
        discussion: """
            For machines and containers without systemd. Collects once at start and then at :00, :10, :20, \
            ... (wall clock, UTC), serves the graph page on graph.listen (default 127.0.0.1:8610) and runs \
            the watchdog. \
            Stops cleanly on SIGTERM or SIGINT, finishing a collection in progress. SIGHUP re-reads the \
            configuration and restarts the three with it (an invalid one is reported and ignored). Logs go to stderr unless \
            systemd connected the journal.
            """
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "collector")
        try context.prepareStateDirectory()
        let stack = ReloadingService(configPath: common.config, component: "collector", initial: context) { context, replacing in
            // A reload may name another state directory: make sure it is usable first.
            try context.prepareStateDirectory()
            let schedule = CollectionScheduleService(context: context, clock: SystemClock())
            let graph = GraphServices(context: context.named("graph"))
            let watchdog = WatchdogService(context: context.named("watchdog"), clock: SystemClock(),
                                           smtpPassword: try SecretFiles.smtpPassword(context),
                                           movedFrom: replacing?.configuration.stateDirectory)
            return ServiceGroup(configuration: .init(
                services: [.init(service: schedule), .init(service: graph.application), .init(service: watchdog)],
                logger: context.logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: stack)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: context.logger))
        try await group.run()
        context.logger.info("btcrate run stopped")
    }
}

/// Runs a collection at start and at each slot boundary until shutdown.
struct CollectionScheduleService: Service {
    let context: AppContext
    let clock: any WallClock
    /// Seconds after a slot boundary to start, so that sources have a fresh quote.
    var delayAfterBoundary = 2.0

    func run() async throws {
        let logger = context.logger
        while !Task.isShuttingDownGracefully {
            // A run in progress finishes even during shutdown: a half-done run
            // would leave no record. Each run is bounded by the HTTP timeouts.
            _ = await CollectionRun(context: context, clock: clock).perform(command: "run")
            let now = clock.now().timeIntervalSince1970
            let next = Double(Slot(containing: now).next.start) + delayAfterBoundary
            logger.debug("next collection at \(Timestamp.iso8601(Int(next)))")
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(next - now)) }
            } catch {
                return
            }
        }
    }
}
