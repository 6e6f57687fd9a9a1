import Foundation

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

    /// A stable id of an alert instance (Alertmanager's "fingerprint").
    static func fingerprint(_ labels: [String: String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            for byte in "\(key)=\(value);".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
        }
        return String(format: "%016llx", hash)
    }

    /// Alertmanager's webhook format (version 4), which generic receivers understand.
    public func webhook(_ transitions: [Transition]) -> [String: Any] {
        let alerts: [[String: Any]] = transitions.map { transition in
            let labels = labels(transition.alert)
            return [
                "status": transition.stateWord,
                "labels": labels,
                "annotations": annotations(transition.alert),
                "startsAt": Self.rfc3339(transition.alert.firedAt ?? transition.alert.activeSince),
                "endsAt": transition.kind == .resolved ? Self.rfc3339(transition.at) : "0001-01-01T00:00:00Z",
                "generatorURL": externalURL,
                "fingerprint": Self.fingerprint(labels),
            ]
        }
        let allLabels = transitions.map { labels($0.alert) }
        let allAnnotations = transitions.map { annotations($0.alert) }
        return [
            "version": "4",
            "groupKey": "{}:{service=\"btcrate\"}",
            "truncatedAlerts": 0,
            "status": transitions.contains { $0.kind != .resolved } ? "firing" : "resolved",
            "receiver": "btcrate",
            "groupLabels": ["service": "btcrate"],
            "commonLabels": Self.intersection(allLabels),
            "commonAnnotations": Self.intersection(allAnnotations),
            "externalURL": externalURL,
            "alerts": alerts,
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
    public func alertmanager(_ transitions: [Transition], sentAt: Int? = nil) -> [[String: Any]] {
        transitions.map { transition in
            var alert: [String: Any] = [
                "labels": labels(transition.alert),
                "annotations": annotations(transition.alert),
                "startsAt": Self.rfc3339(transition.alert.firedAt ?? transition.alert.activeSince),
                "generatorURL": externalURL,
            ]
            alert["endsAt"] = Self.rfc3339(transition.kind == .resolved ? transition.at
                                           : max(transition.at, sentAt ?? transition.at) + alertmanagerValidity)
            return alert
        }
    }

    /// One line per transition, as plain text (email bodies, Slack).
    public func lines(_ transitions: [Transition]) -> [String] {
        transitions.map { transition in
            let alert = transition.alert
            let mark = transition.kind == .resolved ? "RESOLVED" : alert.severity.rawValue.uppercased()
            return "[\(mark)] \(alert.key.name.rawValue)\(alert.key.pair.isEmpty ? "" : " \(alert.key.pair)"): \(alert.summary)"
        }
    }

    /// Slack's incoming webhook: `{"text": ...}` with &, < and > escaped.
    public func slack(_ transitions: [Transition]) -> [String: Any] {
        let escaped = lines(transitions).map {
            $0.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;").replacingAll(">", with: "&gt;")
        }
        return ["text": "btcrate on \(instance):\n" + escaped.joined(separator: "\n") + "\n<\(externalURL)|graphs>"]
    }

    /// An email: subject and a plain-text body.
    public func email(_ transitions: [Transition]) -> (subject: String, body: String) {
        let firing = transitions.filter { $0.kind != .resolved }.count
        let resolved = transitions.count - firing
        var parts: [String] = []
        if firing > 0 { parts.append("\(firing) firing") }
        if resolved > 0 { parts.append("\(resolved) resolved") }
        let subject = "[btcrate] " + parts.joined(separator: ", ") + ": " + transitions.map { $0.alert.key.name.rawValue }.joined(separator: ", ")
        var body = lines(transitions).joined(separator: "\n") + "\n\n"
        for transition in transitions {
            body += "\(transition.alert.key.description) (\(transition.stateWord)):\n  \(transition.alert.description)\n"
        }
        body += "\nGraphs: \(externalURL)\nHost: \(instance)\n"
        return (subject, body)
    }

    public static func json(_ object: Any) -> [UInt8] {
        (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))) ?? []
    }
}
