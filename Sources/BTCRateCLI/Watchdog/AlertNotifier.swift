import BTCRateCore
import FoundationEssentials
import Synchronization
import Glibc
import Logging

/// Sends each group of transitions to the journal at once, and to every
/// configured sink through the outbox (`<state>/outbox/<sink>/`), where it stays
/// until the sink accepted it or notify.give_up_after passed.
///
/// Every sink has its own courier, so a slow or failing sink retries on its own
/// time and never holds up the journal or the others.
final class AlertNotifier: Sendable {
    /// The watchdog's own delivery troubles (and late successes), apart from the alerts
    /// (whose MESSAGE_IDs are in AlertJournal).
    static let deliveryMessageID = "c7d35a0e96b84f21a4e8b6f0d2c9e713"

    let sinks: [any AlertSink]
    let payloads: AlertPayloads
    let logger: Logger
    /// `logger` with no level cut, for the alert entries only.
    let alertLogger: Logger
    let clock: any WallClock
    let outbox: Outbox
    let retries: Int
    let retryDelay: Double
    let groupWait: Double
    private let couriers: [OutboxCourier]
    private let courierTasks = LockedValue<[Task<Void, Never>]>([])
    private let alertmanagerURL: String?
    private let poster: JSONPoster
    /// Set while an Alertmanager refresh is in flight: a sink that is down gets at
    /// most one, not one a minute piling up.
    private let refreshQueued = QueuedFlag()
    private let refreshFailing = LockedValue(false)

    /// `sinks`: nil builds them from the configuration (tests inject their own).
    init(configuration: Configuration, smtpPassword: String?, logger: Logger, clock: any WallClock = SystemClock(),
         sinks injected: [any AlertSink]? = nil) {
        let notify = configuration.notify
        poster = JSONPoster(timeout: notify.timeout)
        var sinks: [any AlertSink] = []
        if let url = notify.webhookURL { sinks.append(JSONSink.webhook(url, poster)) }
        if let url = notify.slackURL { sinks.append(JSONSink.slack(url, poster)) }
        if let url = notify.alertmanagerURL { sinks.append(JSONSink.alertmanager(url, poster)) }
        if notify.smtpURL != nil { sinks.append(EmailSink(notify: notify, password: smtpPassword)) }
        self.sinks = injected ?? sinks
        alertmanagerURL = notify.alertmanagerURL.map(JSONSink.alertmanagerEndpoint)
        self.logger = logger
        var alertLogger = logger
        alertLogger.logLevel = .trace
        self.alertLogger = alertLogger
        self.clock = clock
        retries = notify.retries
        retryDelay = notify.retryDelay
        groupWait = notify.groupWait
        outbox = Outbox(stateDirectory: configuration.stateDirectory)
        payloads = AlertPayloads(externalURL: configuration.resolvedExternalURL, instance: ProcessInfo.processInfo.hostName,
                                 alertmanagerValidity: Self.alertmanagerValidity(poll: configuration.watchdogPoll))
        let outbox = self.outbox, payloads = self.payloads
        couriers = self.sinks.map {
            OutboxCourier(sink: $0, outbox: outbox, payloads: payloads, logger: logger, clock: clock,
                          retryDelay: notify.retryDelay, giveUpAfter: notify.giveUpAfter,
                          batching: $0.batches && notify.groupWait > 0)
        }
    }

    /// Starts delivering: what earlier runs left in the outbox goes first.
    func start() {
        courierTasks.set(couriers.map { courier in Task.detached { await courier.run() } })
    }

    /// Delivers what is due for at most `seconds`, then stops the couriers; what
    /// is left stays in the outbox for the next watchdog.
    func shutdown(drainFor seconds: Double = 5) async {
        couriers.forEach { $0.drain() }
        let tasks = courierTasks.exchange([])
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in tasks { await task.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        couriers.forEach { $0.stop() }
        let left = outbox.backlog(sinks: sinks.map(\.name)).reduce(0) { $0 + $1.count }
        if !drained || left > 0 {
            logger.notice("\(left) notification(s) left in the outbox for the next start", metadata: [
                "MESSAGE_ID": "\(Self.deliveryMessageID)",
            ])
        }
    }

    /// Alertmanager forgets a firing alert at its `endsAt`: four re-post intervals
    /// ahead, as Prometheus does, so that a late evaluation or two never resolve it.
    static func alertmanagerValidity(poll: Double) -> Int { 4 * max(Int(poll), alertmanagerRefresh) }

    /// Firing alerts (and the Watchdog alert) are re-posted to Alertmanager this often (seconds).
    static let alertmanagerRefresh = 60

    /// Re-posts the firing alerts and the always-firing `Watchdog` alert to
    /// Alertmanager only, renewing their `endsAt`. No journal entry, no other sink,
    /// no outbox: nothing changed, and the next refresh carries the same news.
    func refreshAlertmanager(_ firing: [AlertState], watchdogSince: Int, now: Int) {
        guard let url = alertmanagerURL, refreshQueued.claim() else { return }
        let group = firing.map { Transition(kind: .repeated, alert: $0, at: now) }
        let payloads = self.payloads, poster = self.poster, flag = refreshQueued, failing = refreshFailing, logger = self.logger
        let clock = self.clock
        Task.detached {
            defer { flag.clear() }
            let sentAt = Int(clock.now().timeIntervalSince1970)
            let body = payloads.alertmanager(group, sentAt: sentAt) + [payloads.watchdogAlert(since: watchdogSince, sentAt: sentAt)]
            do {
                try await poster.post(url, AlertPayloads.json(body))
                if failing.exchange(false) { logger.notice("Alertmanager refresh works again", metadata: ["sink": "alertmanager"]) }
            } catch {
                // Once per outage as a warning: the Watchdog alert lapsing in
                // Alertmanager is the page; the journal needs no line a minute.
                let level: Logger.Level = failing.exchange(true) ? .info : .warning
                logger.log(level: level, "Alertmanager refresh failed: \(error)", metadata: [
                    "MESSAGE_ID": "\(Self.deliveryMessageID)", "sink": "alertmanager", "error_class": "delivery_failed",
                ])
            }
        }
    }

    var hasAlertmanager: Bool { alertmanagerURL != nil }

    /// Each sink's undelivered notifications, for NotificationsFailing.
    func backlog() -> [Observation.OutboxBacklog]? {
        sinks.isEmpty ? nil : outbox.backlog(sinks: sinks.map(\.name))
    }

    /// Journals each transition at once, then queues the group in every sink's outbox.
    func notify(_ transitions: [Transition], firing: [AlertState] = []) {
        notify(transitions.map { Routed($0) }, firing: firing)
    }

    /// Journals every transition, muted ones too (at info, with the reason), and
    /// queues the others, as one group, for every sink. `firing`: every alert the
    /// sinks know as firing after these changes (AlertEngine.announcedFiring), the
    /// list the webhook body carries whole.
    ///
    /// A sink that batches holds the entry for notify.group_wait; its courier folds
    /// whatever was queued meanwhile into it. The wait is in the entry's file, so a
    /// crash or restart during it loses nothing.
    func notify(_ routed: [Routed], firing: [AlertState] = []) {
        for entry in routed { journal(entry.transition, muted: entry.muted) }
        let transitions = routed.filter { $0.muted == nil }.map(\.transition)
        guard !transitions.isEmpty else { return }
        let now = clock.now().timeIntervalSince1970
        for courier in couriers {
            // NotificationsFailing about a sink goes through the others, not into its own queue.
            let aboutOthers = { (alert: AlertState) in
                alert.key.name != .notificationsFailing
                    || !(alert.value ?? "").split(separator: ",").contains(Substring(courier.sink.name))
            }
            let group = transitions.filter { aboutOthers($0.alert) }
            guard !group.isEmpty else { continue }
            let list = firing.filter(aboutOthers)
            do {
                let (_, dropped) = try outbox.enqueue(group, sink: courier.sink.name, now: now, firing: list,
                                                      holdFor: courier.batching ? groupWait : 0)
                if !dropped.isEmpty {
                    logger.warning("the outbox for \(courier.sink.name) holds \(Outbox.maxPerSink) notifications; dropped the \(dropped.count) oldest", metadata: [
                        "MESSAGE_ID": "\(Self.deliveryMessageID)", "sink": "\(courier.sink.name)", "error_class": "delivery_given_up",
                    ])
                }
                courier.poke()
            } catch {
                // No room for the file (a full disk): one attempt now, held in memory only.
                logger.warning("notification to \(courier.sink.name) not queued (\(error)); trying once without the outbox", metadata: [
                    "MESSAGE_ID": "\(Self.deliveryMessageID)", "sink": "\(courier.sink.name)", "error_class": "storage_error",
                ])
                let sink = courier.sink, payloads = self.payloads, logger = self.logger
                Task.detached {
                    do {
                        try await sink.deliver(group, firing: list, payloads: payloads)
                    } catch {
                        logger.warning("alert delivery to \(sink.name) failed: \(error)", metadata: [
                            "MESSAGE_ID": "\(Self.deliveryMessageID)", "sink": "\(sink.name)", "error_class": "delivery_failed",
                        ])
                    }
                }
            }
        }
    }

    /// One journal entry per transition, with its alert's MESSAGE_ID and the
    /// priority AlertJournal gives it. Through `alertLogger`, whose level is
    /// trace: log.level never drops an alert entry.
    func journal(_ transition: Transition, muted: MuteReason? = nil) {
        let alert = transition.alert
        let level = AlertJournal.level(transition, muted: muted != nil)
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(AlertJournal.messageID(alert.key.name))",
            "alert": "\(alert.key.name.rawValue)",
            "alert_state": "\(transition.stateWord)",
            "severity": "\(alert.severity.rawValue)",
            "alert_summary": "\(alert.summary)",
        ]
        if !alert.key.pair.isEmpty { metadata["pair"] = "\(alert.key.pair)" }
        if let value = alert.value { metadata["value"] = "\(value)" }
        if let threshold = alert.threshold { metadata["threshold"] = "\(threshold)" }
        if transition.kind == .repeated { metadata["repeat"] = "true" }
        if let previous = transition.previousSeverity { metadata["previous_severity"] = "\(previous.rawValue)" }
        if let note = transition.note { metadata["note"] = "\(note)" }
        if let muted { metadata["muted"] = "\(muted)" }
        var verb = transition.kind == .resolved ? "resolved" : transition.kind == .repeated ? "still firing" : "firing"
        if let previous = transition.previousSeverity {
            verb = alert.severity > previous ? "escalated to \(alert.severity.rawValue)" : "down to \(alert.severity.rawValue)"
        }
        let note = [transition.note, muted.map { "\($0); not sent" }].compactMap { $0 }.map { " (\($0))" }.joined()
        alertLogger.log(level: level, "\(alert.key.name.rawValue) \(verb): \(alert.summary)\(note)", metadata: metadata)
    }

    /// For `btcrate alerts test`: a `BtcrateTest` alert through every sink, fired and
    /// at once resolved (a receiver that routes it keeps nothing open), each result
    /// reported. Direct, not through the outbox: the operator waits for the answer.
    func test(now: Int) async -> [(sink: String, error: (any Error)?)] {
        let alert = AlertState(key: AlertKey(.btcrateTest), phase: .firing, severity: .info,
                               summary: "test notification from btcrate alerts test",
                               description: "Sent on request to check the delivery path. Nothing is wrong.",
                               value: nil, threshold: nil, activeSince: now, firedAt: now, lastNotifiedAt: now)
        let fired = [Transition(kind: .firing, alert: alert, at: now)]
        let resolved = [Transition(kind: .resolved, alert: alert, at: now, note: "a test, resolved at once")]
        var results: [(String, (any Error)?)] = []
        for sink in sinks {
            var error = await sink.deliverWithRetries(fired, payloads: payloads, retries: retries, delay: retryDelay)
            // A person reads mail and Slack: one message is enough there.
            if error == nil, sink.name == "webhook" || sink.name == "alertmanager" {
                error = await sink.deliverWithRetries(resolved, payloads: payloads, retries: retries, delay: retryDelay)
            }
            results.append((sink.name, error))
        }
        return results
    }
}

/// A flag one side claims and the other clears.
final class QueuedFlag: @unchecked Sendable {
    private let lock = Mutex(())
    private var set = false

    /// True if it was clear (and is now set).
    func claim() -> Bool {
        lock.withLock { _ in
            defer { set = true }
            return !set
        }
    }

    func clear() { lock.withLock { _ in set = false } }
}
