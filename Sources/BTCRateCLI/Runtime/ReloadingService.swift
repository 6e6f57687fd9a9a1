import FoundationEssentials
import Glibc
import LibSystemd
import Logging
import ServiceLifecycle

/// `systemctl reload` (SIGHUP, through Hangups): re-reads the configuration file and the key (the
/// environment is the process's own, fixed at its start). When they are valid, the running service is stopped and one built
/// from the new configuration takes its place (the graph service rebinds, the
/// watchdog keeps its alert state in alerts.json). When they are not, the running
/// service goes on untouched and the journal says why: a typo never takes a
/// working service down.
struct ReloadingService: Service {
    let configPath: String?
    let component: String
    let initial: AppContext

    /// Builds the service for a configuration; called again after each valid reload,
    /// with the context it replaces (the watchdog hands over a moved state directory).
    let build: @Sendable (_ context: AppContext, _ replacing: AppContext?) throws -> any Service

    func run() async throws {
        var service = try build(initial, nil)
        var context = initial
        var logger = initial.logger
        // The configuration before the last reload, to go back to if the reloaded
        // service fails (a new graph.listen whose port is taken): a reload must not
        // take a working service down.
        var previous: AppContext?
        let signals = await Hangups.trap()
        while true {
            let hangups = signals.nextRound()
            // Its own group, so that a reload can stop it gracefully (the graph service
            // closes its listener, the watchdog finishes its evaluation) without the
            // process shutting down.
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
            let replacement: (AppContext, any Service)?
            do {
                replacement = try await withThrowingTaskGroup(of: (AppContext, any Service)?.self) { tasks in
                    tasks.addTask {
                        try await group.run()
                        return nil
                    }
                    tasks.addTask { [logger, context] in
                        for await _ in hangups {
                            signals.beginReload()
                            if let fresh = reload(replacing: context, logger: logger) {
                                await group.triggerGracefulShutdown()
                                return fresh
                            }
                            signals.reloadRefused()
                        }
                        return nil
                    }
                    var fresh: (AppContext, any Service)?
                    while let result = try await tasks.next() {
                        if let result {
                            fresh = result           // reloading: wait for the old service to end
                        } else {
                            tasks.cancelAll()        // the service ended: stop waiting for SIGHUP
                        }
                    }
                    return fresh
                }
            } catch {
                guard let earlier = previous, !Task.isShuttingDownGracefully else { throw error }
                reportTrouble(logger, "the reloaded configuration failed: \(error); starting the previous one again")
                previous = nil
                context = earlier
                logger = earlier.logger
                service = try build(earlier, context)
                continue
            }
            guard let (fresh, next) = replacement, !Task.isShuttingDownGracefully else { break }
            previous = context
            context = fresh
            service = next
            logger = fresh.logger
            logger.notice("configuration reloaded")
        }
        ServiceNotifier.notify("STOPPING=1")
    }

    /// A reload that did not happen. The watchdog journals its own troubles at
    /// warning under their own MESSAGE_ID, beside its alerts (see AlertJournal);
    /// the graph service has no alerts, and says it at error.
    private func reportTrouble(_ logger: Logger, _ message: Logger.Message) {
        if component == "watchdog" {
            logger.warning(message, metadata: ["MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "config"])
        } else {
            logger.error(message, metadata: ["error_class": "config"])
        }
    }

    /// Reads the configuration again and builds the service from it while the old
    /// one still runs; nil (and an error in the journal) when that fails.
    private func reload(replacing current: AppContext, logger: Logger) -> (AppContext, any Service)? {
        switch AppContext.attempt(configPath: configPath, component: component) {
        case .success(let context):
            do {
                let service = try build(context, current)
                // systemd waits for READY=1 again, which the new service sends once it runs.
                ServiceNotifier.notify("RELOADING=1\nSTATUS=reloading the configuration")
                return (context, service)
            } catch {
                reportTrouble(logger, "configuration not reloaded, the running one stays: \(error)")
                return nil
            }
        case .failure(let error):
            reportTrouble(logger, "configuration not reloaded, the running one stays: \(error.message)")
            return nil
        }
    }
}
