import BTCRateCore
import Foundation
import LibSystemd
import Logging
import ServiceLifecycle

/// The watchdog: evaluates the alert rules when the collector writes, at
/// staleness deadlines and at least every poll interval; journals and sends
/// every transition; keeps its state in alerts.json; and keeps systemd informed
/// (READY=1, STATUS=, WATCHDOG=1 pings from the evaluation loop itself, so a
/// stuck loop stops pinging and systemd restarts it).
struct WatchdogService: Service {
    let context: AppContext
    let clock: any WallClock
    let smtpPassword: String?

    func run() async throws {
        let configuration = context.configuration
        let logger = context.logger
        let store = AlertStateStore(stateDirectory: configuration.stateDirectory)
        var engine = AlertEngine(policy: configuration.alertPolicy, states: store.load())
        let rules = AlertRules(policy: configuration.alertPolicy)
        let notifier = AlertNotifier(configuration: configuration, smtpPassword: smtpPassword, logger: logger)
        let gatherer = ObservationGatherer(configuration: configuration, hasKey: context.apiKey != nil, now: clock.now())
        let wakeups = WakeSignal()
        let watcher = StateDirectoryWatcher(directory: configuration.stateDirectory) { wakeups.signal(event: true) }
        if watcher == nil {
            logger.warning("cannot watch \(configuration.stateDirectory) with inotify; evaluating every \(Int(configuration.watchdogPoll)) s only")
        }
        let pingInterval = ServiceNotifier.watchdogInterval.map { $0 / 2 }
        let restored = engine.firing.count
        let sinks = notifier.sinks.isEmpty ? "the journal only" : "the journal and " + notifier.sinks.map(\.name).joined(separator: ", ")
        let pairs = configuration.pairs.count == 1 ? "1 pair" : "\(configuration.pairs.count) pairs"
        logger.notice("watchdog started: \(pairs), alerts go to \(sinks)\(restored > 0 ? "; \(restored) still firing from before" : "")")
        var ready = false
        var lastRefresh = Int.min / 2

        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = clock.now()
            let observation = await gatherer.gather(now: now)
            let before = engine.states
            engine.forget { rules.isObsolete($0, pairs: configuration.pairs, graphHealthChecked: configuration.resolvedGraphHealthURL != nil) }
            let transitions = engine.apply(rules.evaluate(observation, active: engine.activeKeys), now: observation.now)
            notifier.notify(transitions)
            if notifier.hasAlertmanager, observation.now - lastRefresh >= AlertNotifier.alertmanagerRefresh {
                // Alertmanager must hear of firing alerts again before their endsAt.
                let alreadySent = Set(transitions.map(\.alert.key))
                notifier.refreshAlertmanager(engine.firing.filter { !alreadySent.contains($0.key) }, now: observation.now)
                lastRefresh = observation.now
            }
            if engine.states != before {
                do {
                    try store.save(engine.states, now: observation.now)
                } catch {
                    logger.error("alert state not saved: \(error)", metadata: ["error_class": "storage_error"])
                }
            }
            let status = Self.status(observation, engine: engine, policy: configuration.alertPolicy)
            ServiceNotifier.notify((ready ? "" : "READY=1\n") + "STATUS=\(status)" + (pingInterval != nil ? "\nWATCHDOG=1" : ""))
            ready = true

            // Sleep until the earliest of: the poll interval, a pending alert's
            // `for`, a staleness deadline, the next watchdog ping, or a write by the collector.
            var deadline = Double(observation.now) + configuration.watchdogPoll
            if let next = engine.nextDeadline(after: observation.now) { deadline = min(deadline, Double(next)) }
            for data in observation.pairs {
                for stale in rules.staleDeadlines(data, observation) where Double(stale) > now.timeIntervalSince1970 {
                    deadline = min(deadline, Double(stale))
                }
            }
            var wait = max(0.05, deadline - clock.now().timeIntervalSince1970)
            if let ping = pingInterval { wait = min(wait, Double(ping.components.seconds) + Double(ping.components.attoseconds) / 1e18) }
            let byEvent = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await wakeups.wait(seconds: wait)
                } onGracefulShutdown: {
                    wakeups.stop()
                }
            } onCancel: {
                wakeups.stop()
            }
            // The collector writes the RRD file, then the run record: let it finish.
            if byEvent { try? await Task.sleep(for: .milliseconds(250)) }
        }
        // A reload stops this loop to start a new one, so STOPPING=1 and the last
        // log line come from the command, once the process really stops.
        watcher?.stop()
    }

    /// "3 pairs fresh, 1 alert firing"
    static func status(_ observation: Observation, engine: AlertEngine, policy: AlertPolicy) -> String {
        let fresh = observation.pairs.filter { data in
            guard let newest = data.newest?.time else { return false }
            return observation.now - newest < policy.staleWarningSlots * Slot.seconds + policy.slotGrace
        }.count
        let firing = engine.firing.count
        return "\(fresh) \(fresh == 1 ? "pair" : "pairs") fresh, \(firing) \(firing == 1 ? "alert" : "alerts") firing"
    }
}

/// Wakes the evaluation loop: at a timeout, on a state-directory event, or at shutdown.
final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var waiter: CheckedContinuation<Bool, Never>?
    private var pendingEvent = false
    private var stopping = false
    private var generation = 0

    /// Shutdown: wakes the loop now and makes every later wait return at once.
    func stop() {
        lock.withLock { stopping = true }
        signal(event: false)
    }

    /// `event`: true for a write by the collector, false for a timeout or shutdown.
    func signal(event: Bool, generation expected: Int? = nil) {
        let continuation: CheckedContinuation<Bool, Never>? = lock.withLock {
            if let expected, expected != generation { return nil }   // a stale timeout
            guard let waiter else {
                if event { pendingEvent = true }
                return nil
            }
            self.waiter = nil
            return waiter
        }
        continuation?.resume(returning: event)
    }

    /// Returns true when woken by an event.
    func wait(seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            let ticket: Int? = lock.withLock {
                if stopping { return nil }
                if pendingEvent {
                    pendingEvent = false
                    return nil
                }
                generation += 1
                waiter = continuation
                return generation
            }
            guard let ticket else { return continuation.resume(returning: lock.withLock { !stopping }) }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                signal(event: false, generation: ticket)
            }
        }
    }
}
