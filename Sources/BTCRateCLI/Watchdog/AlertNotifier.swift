import BTCRateCore
import Foundation
import Logging

/// Sends each group of transitions to the journal and to every configured sink.
///
/// Every sink has its own queue and worker, so a slow or failing sink retries
/// on its own time and never holds up the journal or the others.
final class AlertNotifier: Sendable {
    static let firingMessageID = "4f1c9e0b7a3d4e2f9b6c1d8e0a5f7b3c"
    static let resolvedMessageID = "9a2e7c4b1f0d4a6e8c3b5d7f9e1a2c4d"

    let sinks: [any AlertSink]
    let payloads: AlertPayloads
    let logger: Logger
    let retries: Int
    let retryDelay: Double
    private let queues: [AsyncStream<Delivery>.Continuation]
    /// Set while a refresh for Alertmanager waits in its queue: a sink that is down
    /// gets at most one, not one a minute piling up behind its retries.
    private let refreshQueued = QueuedFlag()

    /// One group of transitions for a sink's queue.
    struct Delivery: Sendable {
        let transitions: [Transition]
        let isRefresh: Bool
    }

    init(configuration: Configuration, smtpPassword: String?, logger: Logger) {
        let poster = JSONPoster(timeout: configuration.notify.timeout)
        let notify = configuration.notify
        var sinks: [any AlertSink] = []
        if let url = notify.webhookURL { sinks.append(JSONSink.webhook(url, poster)) }
        if let url = notify.slackURL { sinks.append(JSONSink.slack(url, poster)) }
        if let url = notify.alertmanagerURL { sinks.append(JSONSink.alertmanager(url, poster)) }
        if notify.smtpURL != nil { sinks.append(EmailSink(notify: notify, password: smtpPassword)) }
        self.sinks = sinks
        self.logger = logger
        retries = notify.retries
        retryDelay = notify.retryDelay
        payloads = AlertPayloads(externalURL: configuration.resolvedExternalURL, instance: ProcessInfo.processInfo.hostName,
                                 alertmanagerValidity: Self.alertmanagerValidity(poll: configuration.watchdogPoll))
        var queues: [AsyncStream<Delivery>.Continuation] = []
        for sink in sinks {
            let (stream, continuation) = AsyncStream<Delivery>.makeStream()
            queues.append(continuation)
            let payloads = self.payloads, retries = self.retries, delay = retryDelay, refreshQueued = self.refreshQueued
            Task.detached {
                for await delivery in stream {
                    let group = delivery.transitions
                    if delivery.isRefresh { refreshQueued.clear() }
                    let error = await sink.deliverWithRetries(group, payloads: payloads, retries: retries, delay: delay)
                    Self.logDelivery(sink: sink.name, group: group, error: error, logger: logger)
                }
            }
        }
        self.queues = queues
    }

    deinit {
        queues.forEach { $0.finish() }
    }

    /// Alertmanager forgets a firing alert at its `endsAt`: four re-post intervals
    /// ahead, as Prometheus does, so that a late evaluation or two never resolve it.
    static func alertmanagerValidity(poll: Double) -> Int { 4 * max(Int(poll), alertmanagerRefresh) }

    /// Firing alerts are re-posted to Alertmanager at most this often (seconds).
    static let alertmanagerRefresh = 60

    /// Re-posts the firing alerts to Alertmanager only (no journal entry, no other
    /// sink: nothing changed), renewing their `endsAt`.
    func refreshAlertmanager(_ firing: [AlertState], now: Int) {
        guard !firing.isEmpty else { return }
        let group = firing.map { Transition(kind: .repeated, alert: $0, at: now) }
        guard refreshQueued.claim() else { return }
        for (sink, queue) in zip(sinks, queues) where sink.name == "alertmanager" {
            queue.yield(Delivery(transitions: group, isRefresh: true))
        }
    }

    var hasAlertmanager: Bool { sinks.contains { $0.name == "alertmanager" } }

    /// Journals each transition at once, then queues the group for every sink.
    func notify(_ transitions: [Transition]) {
        guard !transitions.isEmpty else { return }
        for transition in transitions { journal(transition) }
        for queue in queues { queue.yield(Delivery(transitions: transitions, isRefresh: false)) }
    }

    /// One journal entry per transition. PRIORITY follows severity (crit, err,
    /// warning) and is notice for resolved, so `-p warning` shows exactly the firing ones.
    func journal(_ transition: Transition) {
        let alert = transition.alert
        let level: Logger.Level
        switch (transition.kind, alert.severity) {
        case (.resolved, _): level = .notice
        case (_, .critical): level = .critical
        case (_, .warning): level = .error
        case (_, .info): level = .warning
        }
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(transition.kind == .resolved ? Self.resolvedMessageID : Self.firingMessageID)",
            "alert": "\(alert.key.name.rawValue)",
            "alert_state": "\(transition.stateWord)",
            "severity": "\(alert.severity.rawValue)",
            "alert_summary": "\(alert.summary)",
        ]
        if !alert.key.pair.isEmpty { metadata["pair"] = "\(alert.key.pair)" }
        if let value = alert.value { metadata["value"] = "\(value)" }
        if let threshold = alert.threshold { metadata["threshold"] = "\(threshold)" }
        if transition.kind == .repeated { metadata["repeat"] = "true" }
        let verb = transition.kind == .resolved ? "resolved" : transition.kind == .repeated ? "still firing" : "firing"
        logger.log(level: level, "\(alert.key.name.rawValue) \(verb): \(alert.summary)", metadata: metadata)
    }

    static func logDelivery(sink: String, group: [Transition], error: (any Error)?, logger: Logger) {
        let names = group.map { $0.alert.key.name.rawValue }.joined(separator: ",")
        if let error {
            logger.error("alert delivery to \(sink) failed after retries: \(error)", metadata: [
                "sink": "\(sink)", "alerts": "\(names)", "error_class": "delivery_failed",
            ])
        } else {
            logger.info("alerts delivered to \(sink): \(names)", metadata: ["sink": "\(sink)", "alerts": "\(names)"])
        }
    }

    /// For `btcrate alerts test`: one synthetic alert through every sink, each result reported.
    func test(now: Int) async -> [(sink: String, error: (any Error)?)] {
        let alert = AlertState(key: AlertKey(.rateStale, pair: "TEST"), phase: .firing, severity: .info,
                               summary: "test notification from btcrate alerts test",
                               description: "Sent on request to check the delivery path. Nothing is wrong.",
                               value: nil, threshold: nil, activeSince: now, firedAt: now, lastNotifiedAt: now)
        let group = [Transition(kind: .firing, alert: alert, at: now)]
        var results: [(String, (any Error)?)] = []
        for sink in sinks {
            results.append((sink.name, await sink.deliverWithRetries(group, payloads: payloads, retries: 0, delay: 0)))
        }
        return results
    }
}

/// A flag one side claims and the other clears.
final class QueuedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    /// True if it was clear (and is now set).
    func claim() -> Bool {
        lock.withLock {
            defer { set = true }
            return !set
        }
    }

    func clear() { lock.withLock { set = false } }
}
