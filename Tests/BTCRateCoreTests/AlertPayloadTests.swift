import BTCRateCore
import Foundation
import Testing

@Suite struct AlertPayloadTests {
    let payloads = AlertPayloads(externalURL: "http://127.0.0.1:8610/", instance: "host1")

    func transition(_ kind: Transition.Kind, _ name: AlertName, pair: String = "BTC-USD", summary: String = "a <b> & c",
                    severity: Severity = .warning, previous: Severity? = nil) -> Transition {
        let alert = AlertState(key: AlertKey(name, pair: pair), phase: .firing, severity: severity, summary: summary,
                               description: "why and what next", value: "3", threshold: "2", activeSince: 100, firedAt: 160, lastNotifiedAt: 160)
        return Transition(kind: kind, alert: alert, at: 1_705_320_000, previousSeverity: previous)
    }

    func copies(_ body: [[String: Any]]) -> [String] {
        body.map { alert in
            let labels = alert["labels"] as? [String: String] ?? [:]
            let ends = alert["endsAt"] as? String == "2024-01-15T12:00:00Z" ? "resolved" : "firing"
            return "\(labels["severity"] ?? "?") \(ends)"
        }
    }

    /// To Alertmanager, what two Prometheus rules would post: the warning copy stays
    /// firing beside the critical, and stepping down resolves only the critical one.
    @Test func alertmanagerKeepsTheWarningBesideTheCritical() {
        let critical = payloads.alertmanager([transition(.firing, .rateStale, severity: .critical, previous: .warning)])
        #expect(copies(critical) == ["critical firing", "warning firing"])
        let down = payloads.alertmanager([transition(.firing, .rateStale, severity: .warning, previous: .critical)])
        #expect(copies(down) == ["warning firing", "critical resolved"])
        let resolved = payloads.alertmanager([transition(.resolved, .rateStale, severity: .critical)])
        #expect(copies(resolved) == ["critical resolved", "warning resolved"])
        #expect(copies(payloads.alertmanager([transition(.resolved, .rateStale)])) == ["warning resolved"])
        // An alert with one severity only has one copy.
        #expect(copies(payloads.alertmanager([transition(.firing, .storageError, severity: .critical)])) == ["critical firing"])
    }

    /// To the webhook an escalation is the same alert: same fingerprint, new severity.
    @Test func theWebhookFingerprintSurvivesEscalation() throws {
        func fingerprint(_ transition: Transition) throws -> String {
            try #require((payloads.webhook([transition])["alerts"] as? [[String: Any]])?.first?["fingerprint"] as? String)
        }
        let warning = try fingerprint(transition(.firing, .rateStale))
        let critical = try fingerprint(transition(.firing, .rateStale, severity: .critical, previous: .warning))
        #expect(warning == critical)
        #expect(try fingerprint(transition(.firing, .rateStale, pair: "ETH-USD")) != warning)
    }

    /// Vectors read from Debian's Alertmanager 0.25 (POST the labels, GET
    /// /api/v2/alerts): the fingerprint is Alertmanager's own.
    @Test func theFingerprintIsAlertmanagers() {
        #expect(AlertPayloads.fingerprint(["alertname": "RateStale", "instance": "host1", "pair": "BTC-USD", "service": "btcrate"])
                == "8753d8bf3f08fd95")
        #expect(AlertPayloads.fingerprint(["alertname": "Watchdog", "severity": "none"]) == "448881ef475b9b26")
    }

    @Test func theWatchdogAlertAlwaysFiresWithSeverityNone() {
        let alert = payloads.watchdogAlert(since: 100, sentAt: 1_705_320_000)
        #expect((alert["labels"] as? [String: String]) == ["alertname": "Watchdog", "severity": "none", "instance": "host1", "service": "btcrate"])
        #expect(alert["endsAt"] as? String == "2024-01-15T12:10:00Z")
    }

    @Test func webhookFollowsAlertmanagersFormat() throws {
        let body = payloads.webhook([transition(.firing, .rateStale), transition(.resolved, .collectorFailing)])
        #expect(body["version"] as? String == "4")
        #expect(body["status"] as? String == "firing")
        let alerts = try #require(body["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2)
        #expect((alerts[0]["labels"] as? [String: String])?["alertname"] == "RateStale")
        #expect((alerts[0]["labels"] as? [String: String])?["pair"] == "BTC-USD")
        #expect(alerts[0]["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect(alerts[1]["status"] as? String == "resolved")
        #expect(alerts[1]["endsAt"] as? String == "2024-01-15T12:00:00Z")
        #expect((body["commonLabels"] as? [String: String])?["pair"] == "BTC-USD")
        #expect((body["commonLabels"] as? [String: String])?["alertname"] == nil)
        #expect((alerts[0]["fingerprint"] as? String)?.count == 16)
        #expect(try JSONSerialization.jsonObject(with: Data(AlertPayloads.json(body))) is [String: Any])
    }

    /// The whole current list, as Alertmanager sends it: the changes, then every
    /// other alert still firing; firing while any fires; one groupKey per host.
    @Test func theWebhookListsTheWholeGroup() throws {
        let resolved = transition(.resolved, .rateStale)
        let stillFiring = transition(.firing, .diskSpaceLow, pair: "").alert
        let body = payloads.webhook([resolved], firing: [stillFiring, resolved.alert])
        let alerts = try #require(body["alerts"] as? [[String: Any]])
        #expect(alerts.map { "\(($0["labels"] as? [String: String])?["alertname"] ?? ""):\($0["status"] ?? "")" }
                == ["RateStale:resolved", "DiskSpaceLow:firing"])
        #expect(body["status"] as? String == "firing")
        #expect(body["groupKey"] as? String == "{}:{instance=\"host1\",service=\"btcrate\"}")
        #expect(body["groupLabels"] as? [String: String] == ["instance": "host1", "service": "btcrate"])
        #expect(payloads.webhook([resolved])["status"] as? String == "resolved")
        #expect(payloads.webhook([resolved])["groupKey"] as? String == body["groupKey"] as? String)
        // Mail and Slack name the others in one line.
        #expect(payloads.email([resolved], firing: [stillFiring]).body.contains("Still firing: DiskSpaceLow\n"))
        #expect((payloads.slack([resolved], firing: [stillFiring])["text"] as? String)?.contains("Still firing: DiskSpaceLow") == true)
    }

    /// Changes batched by group_wait: one line per alert, where it stands now; a
    /// repeat never hides a firing the receiver has not heard yet.
    @Test func batchedChangesCoalescePerAlert() {
        let fired = transition(.firing, .rateStale)
        let escalated = transition(.firing, .rateStale, severity: .critical, previous: .warning)
        let other = transition(.firing, .flatline)
        let merged = Transition.coalesced([fired, other, escalated, transition(.repeated, .rateStale, severity: .critical)])
        #expect(merged == [escalated, other])
        #expect(Transition.coalesced([fired, transition(.resolved, .rateStale)]).map(\.kind) == [.resolved])
        let head = Outbox.Entry(sink: "webhook", createdAt: 10, transitions: [fired], firing: [fired.alert], holdFor: 30)
        #expect(head.nextAttemptAt == 40)
        let later = Outbox.Entry(sink: "webhook", createdAt: 12, transitions: [other], firing: [fired.alert, other.alert])
        let group = head.absorbing([later])
        #expect(group.transitions == [fired, other] && group.firing?.count == 2 && group.createdAt == 10)
    }

    @Test func alertmanagerResolvesWithEndsAtAndKeepsFiringAlertsAlive() {
        let body = payloads.alertmanager([transition(.firing, .rateStale), transition(.resolved, .rateStale)])
        // Firing: endsAt ahead by the validity (600 s here), renewed by each re-post.
        #expect(body[0]["endsAt"] as? String == "2024-01-15T12:10:00Z")
        #expect(body[1]["endsAt"] as? String == "2024-01-15T12:00:00Z")
        #expect(body[0]["startsAt"] as? String == "1970-01-01T00:02:40Z")
    }

    @Test func slackEscapesItsMarkup() {
        let text = payloads.slack([transition(.firing, .priceMove)])["text"] as? String ?? ""
        #expect(text.contains("a &lt;b&gt; &amp; c"))
        #expect(text.contains("[WARNING] PriceMove BTC-USD"))
    }

    @Test func emailSaysHowManyFireAndResolve() {
        let mail = payloads.email([transition(.firing, .rateStale), transition(.resolved, .spreadWide)])
        #expect(mail.subject == "[btcrate] 1 firing, 1 resolved: RateStale, SpreadWide")
        #expect(mail.body.contains("[RESOLVED] SpreadWide BTC-USD"))
        #expect(mail.body.contains("why and what next"))
    }
}
