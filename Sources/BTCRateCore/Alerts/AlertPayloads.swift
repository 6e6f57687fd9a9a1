import FoundationEssentials
import Glibc

/// The bodies btcrate sends for a group of transitions, one builder per kind of
/// receiver. Pure functions of the transitions, so tests check them directly.
public struct AlertPayloads: Sendable {
    /// Where a person can look (the graph page), for `externalURL` and `generatorURL`.
    public let externalURL: String
    /// Names this machine in labels (`instance`).
    public let instance: String

    /// How long Alertmanager keeps a firing alert without hearing of it again
    /// (`endsAt`); the watchdog re-posts firing alerts well within it.
    public let alertmanagerValidity: Int

    public init(externalURL: String, instance: String, alertmanagerValidity: Int = 600) {
        self.externalURL = externalURL
        self.instance = instance
        self.alertmanagerValidity = alertmanagerValidity
    }

    func labels(_ alert: AlertState) -> [String: String] {
        var labels = ["alertname": alert.key.name.rawValue, "severity": alert.severity.rawValue,
                      "instance": instance, "service": "btcrate"]
        if !alert.key.pair.isEmpty { labels["pair"] = alert.key.pair }
        return labels
    }

    func annotations(_ alert: AlertState) -> [String: String] {
        var annotations = ["summary": alert.summary, "description": alert.description]
        if let value = alert.value { annotations["value"] = value }
        if let threshold = alert.threshold { annotations["threshold"] = threshold }
        return annotations
    }

    static func rfc3339(_ unix: Int) -> String { Timestamp.iso8601(unix) }

    /// Alertmanager's fingerprint of a label set (prometheus/common's
    /// `LabelSet.Fingerprint`): FNV-1a, 64 bits, over the label names in sorted
    /// order, each name and value followed by the byte 0xFF; 16 hex digits.
    public static func fingerprint(_ labels: [String: String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        for (name, value) in labels.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }) {
            name.utf8.forEach(add)
            add(0xFF)
            value.utf8.forEach(add)
            add(0xFF)
        }
        return Self.hex16(hash)
    }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The labels that name one alert for the webhook, Slack and email: all but
    /// `severity`, so that an escalation is the same alert (the same fingerprint)
    /// at another severity, never a new one beside an old one left open.
    func identityLabels(_ alert: AlertState) -> [String: String] {
        var labels = labels(alert)
        labels.removeValue(forKey: "severity")
        return labels
    }

    /// Alertmanager's webhook format (version 4), which generic receivers understand.
    /// As Alertmanager does, the body lists the group's whole current list: the
    /// changes (`transitions`, resolved ones included) and every other alert still
    /// firing (`firing`); the top-level status is `firing` while any of them fires.
    /// One group per host: `groupKey` and `groupLabels` name the service and the
    /// instance, and stay the same from one notification to the next.
    public func webhook(_ transitions: [Transition], firing: [AlertState] = []) -> [String: Any] {
        var alerts: [[String: Any]] = transitions.map { transition in
            var annotations = annotations(transition.alert)
            if let previous = transition.previousSeverity { annotations["previous_severity"] = previous.rawValue }
            if let note = transition.note { annotations["note"] = note }
            return webhookAlert(transition.alert, status: transition.stateWord, annotations: annotations,
                                endsAt: transition.kind == .resolved ? Self.rfc3339(transition.at) : Self.zeroTime)
        }
        let changed = Set(transitions.map(\.alert.key))
        let unchanged = firing.filter { !changed.contains($0.key) }.sorted { $0.key < $1.key }
        alerts += unchanged.map { webhookAlert($0, status: "firing", annotations: annotations($0), endsAt: Self.zeroTime) }
        let all = transitions.map(\.alert) + unchanged
        let groupLabels = ["instance": instance, "service": "btcrate"]
        return [
            "version": "4",
            "groupKey": "{}:{instance=\"\(instance)\",service=\"btcrate\"}",
            "truncatedAlerts": 0,
            "status": alerts.contains { $0["status"] as? String == "firing" } ? "firing" : "resolved",
            "receiver": "btcrate",
            "groupLabels": groupLabels,
            "commonLabels": Self.intersection(all.map(labels)),
            "commonAnnotations": Self.intersection(all.map(annotations)),
            "externalURL": externalURL,
            "alerts": alerts,
        ]
    }

    /// Alertmanager's "no end yet".
    static let zeroTime = "0001-01-01T00:00:00Z"

    func webhookAlert(_ alert: AlertState, status: String, annotations: [String: String], endsAt: String) -> [String: Any] {
        [
            "status": status,
            "labels": labels(alert),
            "annotations": annotations,
            "startsAt": Self.rfc3339(alert.startsAt),
            "endsAt": endsAt,
            "generatorURL": externalURL,
            "fingerprint": Self.fingerprint(identityLabels(alert)),
        ]
    }

    static func intersection(_ maps: [[String: String]]) -> [String: String] {
        guard var common = maps.first else { return [:] }
        for map in maps.dropFirst() {
            common = common.filter { map[$0.key] == $0.value }
        }
        return common
    }

    /// Prometheus Alertmanager's v2 API: `POST /api/v2/alerts` with an array. A
    /// resolved alert is the same labels with `endsAt` now. A firing one carries an
    /// `endsAt` ahead (as Prometheus does), renewed by each re-post: without one,
    /// Alertmanager would resolve it by itself after its resolve_timeout.
    /// `sentAt`: when the body is sent (each retry rebuilds it), so that a late
    /// delivery still carries an `endsAt` ahead of the moment it arrives.
    ///
    /// What Prometheus would post: for an alert that escalates (RateStale,
    /// DiskSpaceLow), the critical condition implies the warning one, so at critical
    /// both copies fire, each with its own labels; a de-escalation resolves only the
    /// critical copy. No copy is ever resolved while its condition holds. The README
    /// shows the inhibit_rules stanza that turns the pair into one page.
    public func alertmanager(_ transitions: [Transition], sentAt: Int? = nil) -> [[String: Any]] {
        transitions.flatMap { transition -> [[String: Any]] in
            let alert = transition.alert
            let ahead = max(transition.at, sentAt ?? transition.at) + alertmanagerValidity
            var copies: [(Severity, endsAt: Int)] = []
            switch transition.kind {
            case .resolved:
                copies = [(alert.severity, transition.at)]
                if alert.severity == .critical && alert.key.name.escalates { copies.append((.warning, transition.at)) }
            case .firing, .repeated:
                copies = [(alert.severity, ahead)]
                if alert.severity == .critical && alert.key.name.escalates { copies.append((.warning, ahead)) }
                if transition.previousSeverity == .critical && alert.severity != .critical {
                    copies.append((.critical, transition.at))   // stepped down: only the critical copy ends
                }
            }
            return copies.map { severity, endsAt in
                var labels = labels(alert)
                labels["severity"] = severity.rawValue
                return [
                    "labels": labels,
                    "annotations": annotations(alert),
                    "startsAt": Self.rfc3339(alert.startsAt),
                    "endsAt": Self.rfc3339(endsAt),
                    "generatorURL": externalURL,
                ]
            }
        }
    }

    /// The dead-man's switch: `Watchdog`, severity `none`, always firing while the
    /// watchdog runs and re-posted with every refresh. Its `endsAt` lapses a few
    /// minutes after the watchdog stops, and a receiver of this alert (a
    /// dead-man's-switch service) then knows the watchdog is gone.
    public func watchdogAlert(since: Int, sentAt: Int) -> [String: Any] {
        [
            "labels": ["alertname": "Watchdog", "severity": "none", "instance": instance, "service": "btcrate"],
            "annotations": [
                "summary": "btcrate's watchdog is running on \(instance); this alert always fires",
                "description": "A dead-man's switch: route it to a receiver that pages when it stops arriving. It stops when the watchdog is killed, hangs or loses its way to Alertmanager.",
            ],
            "startsAt": Self.rfc3339(since),
            "endsAt": Self.rfc3339(sentAt + alertmanagerValidity),
            "generatorURL": externalURL,
        ]
    }

    /// One line per transition, as plain text (email bodies, Slack).
    public func lines(_ transitions: [Transition]) -> [String] {
        transitions.map { transition in
            let alert = transition.alert
            let mark = transition.kind == .resolved ? "RESOLVED" : alert.severity.rawValue.uppercased()
            var line = "[\(mark)] \(alert.key.name.rawValue)\(alert.key.pair.isEmpty ? "" : " \(alert.key.pair)"): \(alert.summary)"
            if let previous = transition.previousSeverity { line += " (was \(previous.rawValue))" }
            if let note = transition.note { line += " (\(note))" }
            return line
        }
    }

    /// "Still firing: RateStale ETH-USD, DiskSpaceLow": the group's other firing
    /// alerts, for the bodies a person reads; nil when there are none.
    public func stillFiring(_ firing: [AlertState], besides transitions: [Transition]) -> String? {
        let changed = Set(transitions.map(\.alert.key))
        let others = firing.filter { !changed.contains($0.key) }.sorted { $0.key < $1.key }
        guard !others.isEmpty else { return nil }
        return "Still firing: " + others.map { $0.key.pair.isEmpty ? $0.key.name.rawValue : "\($0.key.name.rawValue) \($0.key.pair)" }
            .joined(separator: ", ")
    }

    /// Slack's incoming webhook: `{"text": ...}` with &, < and > escaped.
    public func slack(_ transitions: [Transition], firing: [AlertState] = []) -> [String: Any] {
        let escaped = (lines(transitions) + [stillFiring(firing, besides: transitions)].compactMap { $0 }).map {
            $0.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;").replacingAll(">", with: "&gt;")
        }
        return ["text": "btcrate on \(instance):\n" + escaped.joined(separator: "\n") + "\n<\(externalURL)|graphs>"]
    }

    /// An email: subject and a plain-text body.
    public func email(_ transitions: [Transition], firing: [AlertState] = []) -> (subject: String, body: String) {
        let firingCount = transitions.filter { $0.kind != .resolved }.count
        let resolved = transitions.count - firingCount
        var parts: [String] = []
        if firingCount > 0 { parts.append("\(firingCount) firing") }
        if resolved > 0 { parts.append("\(resolved) resolved") }
        let test = transitions.contains { $0.alert.key.name == .btcrateTest }
        let subject = (test ? "[btcrate] TEST " : "[btcrate] ") + parts.joined(separator: ", ") + ": " + transitions.map { $0.alert.key.name.rawValue }.joined(separator: ", ")
        var body = lines(transitions).joined(separator: "\n") + "\n"
        if let others = stillFiring(firing, besides: transitions) { body += others + "\n" }
        body += "\n"
        for transition in transitions {
            body += "\(transition.alert.key.description) (\(transition.stateWord)):\n  \(transition.alert.description)\n"
        }
        body += "\nGraphs: \(externalURL)\nHost: \(instance)\n"
        return (subject, body)
    }

    public static func json(_ object: Any) -> [UInt8] {
        (try? Array(JSONValue(any: object).encoded())) ?? []
    }
}
