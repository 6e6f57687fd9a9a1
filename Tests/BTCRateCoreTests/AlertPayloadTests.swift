import BTCRateCore
import Foundation
import Testing

@Suite struct AlertPayloadTests {
    let payloads = AlertPayloads(externalURL: "http://127.0.0.1:8610/", instance: "host1")

    func transition(_ kind: Transition.Kind, _ name: AlertName, pair: String = "BTC-USD", summary: String = "a <b> & c") -> Transition {
        let alert = AlertState(key: AlertKey(name, pair: pair), phase: .firing, severity: .warning, summary: summary,
                               description: "why and what next", value: "3", threshold: "2", activeSince: 100, firedAt: 160, lastNotifiedAt: 160)
        return Transition(kind: kind, alert: alert, at: 1_705_320_000)
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
