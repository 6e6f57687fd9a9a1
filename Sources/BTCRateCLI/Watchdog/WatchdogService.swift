import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle

/// The watchdog: evaluates the alert rules when the collector writes, at
/// staleness deadlines and at least every poll interval; journals and sends
/// every transition; keeps its state in alerts.json and what fired and resolved
/// in alert-history.jsonl; and keeps systemd informed
/// (READY=1, STATUS=, WATCHDOG=1 pings from the evaluation loop itself, so a
/// stuck loop stops pinging and systemd restarts it).
struct WatchdogService: Service {
    let context: AppContext
    let clock: any WallClock
    let smtpPassword: String?
    /// The state directory of the watchdog this one replaces (a reload): when it
    /// differs, its alerts are resolved and its outbox carried over (StateHandover).
    var movedFrom: String? = nil
    /// Where READY=1, STATUS= and WATCHDOG=1 go (tests give their own).
    var serviceManager: any ServiceManager = Systemd()
    /// Builds the notifier for the configuration (tests give one with their own sinks and clock).
    var makeNotifier: @Sendable (Configuration, String?, Logger, any WallClock) -> AlertNotifier = {
        AlertNotifier(configuration: $0, smtpPassword: $1, logger: $2, clock: $3)
    }

    func run() async throws {
        let configuration = context.configuration
        let logger = context.logger
        let store = AlertStateStore(stateDirectory: configuration.stateDirectory)
        var engine = AlertEngine(policy: configuration.alertPolicy, states: store.load())
        let rules = AlertRules(policy: configuration.alertPolicy)
        let notifier = makeNotifier(configuration, smtpPassword, logger, clock)
        if let old = movedFrom, old.trimmingTrailingSlashes != configuration.stateDirectory.trimmingTrailingSlashes {
            StateHandover(from: old, to: configuration.stateDirectory, logger: logger)
                .run(notifier: notifier, now: Int(clock.now().timeIntervalSince1970))
        }
        notifier.start()
        let heartbeat = configuration.notify.heartbeatURL.map { Heartbeat(url: $0, timeout: configuration.notify.timeout, logger: logger) }
        let gatherer = ObservationGatherer(configuration: configuration, hasKey: context.apiKey != nil, now: clock.now())
        let silences = SilenceReader(store: SilenceStore(stateDirectory: configuration.stateDirectory), logger: logger)
        let history = AlertHistoryRecorder(history: AlertHistory(stateDirectory: configuration.stateDirectory), logger: logger)
        let wakeups = WakeSignal()
        // Whether the latest write seen was the writer's last (see StateDirectoryWatcher).
        let settled = LockedValue(true)
        let watcher = StateDirectoryWatcher(directory: configuration.stateDirectory) { done in
            settled.set(done)
            wakeups.signal(event: true)
        }
        if watcher == nil {
            logger.warning("cannot watch \(configuration.stateDirectory) with inotify; evaluating every \(Int(configuration.watchdogPoll)) s only",
                           metadata: ["MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "inotify"])
        }
        let pingInterval = serviceManager.watchdogInterval.map { $0 / 2 }
        let restored = engine.firing.count
        let sinks = notifier.sinks.isEmpty ? "the journal only" : "the journal and " + notifier.sinks.map(\.name).joined(separator: ", ")
        let pairs = configuration.pairs.count == 1 ? "1 pair" : "\(configuration.pairs.count) pairs"
        logger.notice("watchdog started: \(pairs), alerts go to \(sinks)\(restored > 0 ? "; \(restored) still firing from before" : "")")
        var ready = false
        var lastRefresh = Int.min / 2
        var lastHeartbeat = Int.min / 2
        let startedAt = Int(clock.now().timeIntervalSince1970)

        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = clock.now()
            let evaluationStart = ContinuousClock.now
            var observation = await gatherer.gather(now: now)
            let gathered = ContinuousClock.now
            // The outbox's files, the silences, the journal, the alert history and
            // alerts.json are read and written (with fsync) on the pool for blocking calls.
            observation.outbox = await Blocking.perform { notifier.backlog() }
            let retired = engine.retire(where: {
                rules.obsolescence($0, pairs: configuration.pairs, graphHealthChecked: configuration.resolvedGraphHealthURL != nil)
            }, now: observation.now)
            let transitions = retired + engine.apply(rules.evaluate(observation, firing: engine.firingSeverities), now: observation.now)
            let muting = await Blocking.perform { silences.muting() }
            let routed = engine.route(transitions, muting: muting, now: observation.now)
            let announced = engine.announcedFiring
            await Blocking.perform { notifier.notify(routed, firing: announced) }
            // The engine's transitions, not the routed ones: muted alerts are history
            // too, and a "no longer muted" re-send is not a new firing.
            await history.record(transitions)
            // For `log.level = debug` and bench/alerts.sh: what one evaluation costs.
            logger.debug("evaluated \(observation.pairs.count) pair(s) in \(Self.milliseconds(ContinuousClock.now - evaluationStart)) ms (reading them \(Self.milliseconds(gathered - evaluationStart)) ms), \(transitions.count) transition(s)")
            if notifier.hasAlertmanager, observation.now - lastRefresh >= AlertNotifier.alertmanagerRefresh {
                // Alertmanager must hear of firing alerts again before their endsAt,
                // and of the Watchdog alert always: its silence is the dead-man's switch.
                // Alerts it never heard of (they fired muted) stay away; ones it knows
                // are renewed as it knows them even while muted, or it would resolve
                // them while true.
                let alreadySent = Set(routed.filter { $0.muted == nil }.map(\.transition.alert.key))
                let known = engine.announcedFiring.filter { !alreadySent.contains($0.key) }
                notifier.refreshAlertmanager(known, watchdogSince: startedAt, now: observation.now)
                lastRefresh = observation.now
            }
            // Saved at every evaluation, not only on a change: `btcrate alerts` reads
            // evaluated_at to tell a live watchdog from a dead one.
            var healthy = true
            do {
                let states = engine.states, now = observation.now
                try await Blocking.run { try store.save(states, now: now) }
            } catch {
                healthy = false
                logger.warning("alert state not saved: \(error)", metadata: [
                    "MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "storage_error",
                ])
            }
            if let heartbeat, healthy, observation.now - lastHeartbeat >= Int(configuration.heartbeatInterval) {
                heartbeat.ping()
                lastHeartbeat = observation.now
            }
            let status = Self.status(observation, engine: engine, policy: configuration.alertPolicy)
            serviceManager.notify((ready ? "" : "READY=1\n") + "STATUS=\(status)" + (pingInterval != nil ? "\nWATCHDOG=1" : ""))
            ready = true

            // Sleep until the earliest of: the poll interval, a pending alert's
            // `for`, a staleness deadline, the next watchdog ping, or a write by the collector.
            var deadline = Double(observation.now) + configuration.watchdogPoll
            if notifier.hasAlertmanager { deadline = min(deadline, Double(lastRefresh + AlertNotifier.alertmanagerRefresh)) }
            if heartbeat != nil { deadline = min(deadline, Double(lastHeartbeat) + configuration.heartbeatInterval) }
            if let next = engine.nextDeadline(after: observation.now) { deadline = min(deadline, Double(next)) }
            if let end = muting.nextEnd(after: observation.now) { deadline = min(deadline, Double(end)) }
            for data in observation.pairs {
                for stale in rules.staleDeadlines(data, observation) where Double(stale) > now.timeIntervalSince1970 {
                    deadline = min(deadline, Double(stale))
                }
            }
            var wait = max(0.05, deadline - clock.now().timeIntervalSince1970)
            if let ping = pingInterval { wait = min(wait, ping.seconds) }
            let byEvent = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await wakeups.wait(seconds: wait)
                } onGracefulShutdown: {
                    wakeups.stop()
                }
            } onCancel: {
                wakeups.stop()
            }
            // The collector writes the RRD file, then the run record: after an RRD
            // file alone, give it a moment to finish. After the record (or a silence),
            // evaluate at once.
            if byEvent && !settled.get() { try? await Task.sleep(for: .milliseconds(250)) }
        }
        // A reload stops this loop to start a new one, so STOPPING=1 and the last
        // log line come from the command, once the process really stops.
        watcher?.stop()
        // A bounded drain: what cannot go within 5 s stays in the outbox, and the
        // next watchdog (this process after a reload, or after a restart) sends it.
        await notifier.shutdown(drainFor: 5)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return Format.fixed(Double(seconds) * 1000 + Double(attoseconds) / 1e15, 2)
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

/// The silences, read afresh at every evaluation (the file is small, and inotify
/// wakes the watchdog when `btcrate alerts silence` writes it). A file that
/// cannot be read mutes nothing, and is reported once until it reads again.
final class SilenceReader: Sendable {
    let store: SilenceStore
    let logger: Logger
    private let failing = LockedValue(false)

    init(store: SilenceStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func muting() -> Muting {
        do {
            let silences = try store.load()
            if failing.exchange(false) { logger.notice("\(store.path) reads again: its silences apply") }
            return Muting(silences: silences)
        } catch {
            if !failing.exchange(true) {
                logger.warning("silences not applied: \(error); every alert goes to the sinks until it is fixed (btcrate alerts silences)", metadata: [
                    "MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "config_error",
                ])
            }
            return Muting()
        }
    }
}
