@testable import BTCRateCLI
import BTCRateCore
import BTCRateTestSupport
import FakePriceServer
import Foundation
import Testing

/// The watchdog's delivery and its service loop, against fake receivers on loopback.
@Suite(.serialized) struct WatchdogTests {
    func transitions(_ kind: Transition.Kind = .firing) -> [Transition] {
        let alert = AlertState(key: AlertKey(.rateStale, pair: "BTC-USD"), phase: .firing, severity: .critical,
                               summary: "no new sample for 70 minutes", description: "check the timer",
                               value: "7", threshold: "6", activeSince: 1000, firedAt: 1000, lastNotifiedAt: 1000)
        return [Transition(kind: kind, alert: alert, at: 2000)]
    }

    func notifier(_ configure: (inout NotifyConfiguration) -> Void, password: String? = nil) -> (AlertNotifier, CapturedLog) {
        var configuration = Configuration()
        configuration.notify.retryDelay = 0.05
        configure(&configuration.notify)
        let log = CapturedLog()
        return (AlertNotifier(configuration: configuration, smtpPassword: password, logger: log.logger()), log)
    }

    @Test func webhookSlackAndAlertmanagerReceiveTheirPayloads() throws {
        let webhook = try FakeWebhookReceiver(), slack = try FakeWebhookReceiver(), manager = try FakeWebhookReceiver()
        let (notifier, log) = notifier {
            $0.webhookURL = webhook.url + "/hook"
            $0.slackURL = slack.url + "/services/x"
            $0.alertmanagerURL = manager.url + "/"
        }
        notifier.notify(transitions())
        let hook = try #require(webhook.waitFor(1).first)
        #expect(hook.path == "/hook" && hook.contentType == "application/json")
        let body = try #require(hook.json as? [String: Any])
        #expect(body["status"] as? String == "firing")
        #expect(((body["alerts"] as? [[String: Any]])?.first?["labels"] as? [String: String])?["alertname"] == "RateStale")
        let text = (slack.waitFor(1).first?.json as? [String: Any])?["text"] as? String
        #expect(text?.contains("[CRITICAL] RateStale BTC-USD: no new sample for 70 minutes") == true)
        let alerts = manager.waitFor(1).first
        #expect(alerts?.path == "/api/v2/alerts")
        #expect((alerts?.json as? [[String: Any]])?.count == 1)
        // The journal entry: priority by severity, the documented fields.
        let line = try #require(log.lines.first { $0.metadata["alert"] == "RateStale" })
        #expect(line.level == .critical)
        #expect(line.metadata["alert_state"] == "firing" && line.metadata["severity"] == "critical" && line.metadata["pair"] == "BTC-USD")
        #expect(line.metadata["MESSAGE_ID"] == AlertNotifier.firingMessageID)
    }

    /// Alertmanager resolves an alert it stops hearing about: firing alerts are
    /// re-posted to it (and only to it) with a renewed endsAt.
    @Test func firingAlertsAreRepostedToAlertmanagerOnly() throws {
        let webhook = try FakeWebhookReceiver(), manager = try FakeWebhookReceiver()
        let (notifier, log) = notifier {
            $0.webhookURL = webhook.url
            $0.alertmanagerURL = manager.url
        }
        let now = Int(Date().timeIntervalSince1970)
        notifier.refreshAlertmanager(transitions().map(\.alert), now: now)
        let posted = try #require(manager.waitFor(1).first?.json as? [[String: Any]])
        #expect((posted.first?["labels"] as? [String: String])?["alertname"] == "RateStale")
        // endsAt is set when the body is sent: ahead of the moment it arrives.
        let endsAt = try #require(Timestamp.parse(posted.first?["endsAt"] as? String ?? ""))
        #expect(endsAt >= now + AlertNotifier.alertmanagerValidity(poll: 30))
        #expect(webhook.waitFor(1, timeout: 1).isEmpty)
        #expect(!log.lines.contains { $0.metadata["alert"] != nil })
    }

    /// At most one Alertmanager refresh waits in the queue while the sink is slow or down.
    @Test func aRefreshIsQueuedOnlyWhenNoneWaits() {
        let flag = QueuedFlag()
        #expect(flag.claim())
        #expect(!flag.claim())
        flag.clear()
        #expect(flag.claim())
    }

    @Test func resolvedEntriesAreNotices() {
        let (notifier, log) = notifier { _ in }
        notifier.notify(transitions(.resolved))
        let line = log.lines.first { $0.metadata["alert"] == "RateStale" }
        #expect(line?.level == .notice && line?.metadata["MESSAGE_ID"] == AlertNotifier.resolvedMessageID)
    }

    @Test func aFailingSinkIsRetriedWithBackoff() throws {
        let webhook = try FakeWebhookReceiver()
        webhook.failNext(2)
        let (notifier, log) = notifier { $0.webhookURL = webhook.url; $0.retries = 3 }
        notifier.notify(transitions())
        #expect(webhook.waitFor(1).count == 1)
        let deadline = Date().addingTimeInterval(5)
        while !log.lines.contains(where: { $0.message.hasPrefix("alerts delivered to webhook") }) && Date() < deadline { usleep(10_000) }
        #expect(log.lines.contains { $0.message.hasPrefix("alerts delivered to webhook") })
    }

    @Test func aDeadSinkIsJournaledAndHoldsUpNobody() throws {
        let slow = try FakeWebhookReceiver(), fast = try FakeWebhookReceiver()
        slow.respondAfter(seconds: 20)
        let closed = try FakeWebhookReceiver()
        let deadURL = closed.url
        closed.stop()
        let (notifier, log) = notifier {
            $0.webhookURL = slow.url
            $0.slackURL = fast.url
            $0.alertmanagerURL = deadURL
            $0.retries = 1
            $0.timeout = 10
        }
        notifier.notify(transitions())
        // Slack is delivered while the webhook still waits for its answer.
        #expect(fast.waitFor(1, timeout: 15).count == 1)
        #expect(!log.lines.contains { $0.message.hasPrefix("alerts delivered to webhook") })
        let deadline = Date().addingTimeInterval(5)
        while !log.lines.contains(where: { $0.metadata["error_class"] == "delivery_failed" }) && Date() < deadline { usleep(10_000) }
        let failure = log.lines.first { $0.metadata["error_class"] == "delivery_failed" }
        #expect(failure?.metadata["sink"] == "alertmanager")
        #expect(slow.requests.count == 1)
    }

    @Test func emailGoesOutThroughLibcurlWithProperHeaders() throws {
        let smtp = try FakeSMTPServer()
        let (notifier, _) = notifier({
            $0.smtpURL = smtp.url
            $0.smtpFrom = "btcrate@example.org"
            $0.smtpTo = ["ops@example.org", "oncall@example.org"]
            $0.smtpStartTLS = false
        })
        notifier.notify(transitions())
        let mail = try #require(smtp.waitFor(1).first)
        #expect(!mail.authenticated)
        #expect(mail.from == "btcrate@example.org")
        #expect(mail.recipients == ["ops@example.org", "oncall@example.org"])
        for header in ["Date: ", "From: btcrate@example.org", "To: ops@example.org, oncall@example.org",
                       "Subject: [btcrate] 1 firing: RateStale", "Message-ID: <", "MIME-Version: 1.0",
                       "Content-Type: text/plain; charset=utf-8"] {
            #expect(mail.data.contains(header), "missing \(header)")
        }
        #expect(mail.data.contains("[CRITICAL] RateStale BTC-USD: no new sample for 70 minutes"))
    }

    /// A login never crosses the network in clear text, whatever smtp_starttls says
    /// (the configuration loader refuses that combination as well).
    @Test func aPasswordIsNeverSentWithoutTLS() async throws {
        let smtp = try FakeSMTPServer()
        let (notifier, _) = notifier({
            $0.smtpURL = smtp.url
            $0.smtpFrom = "btcrate@example.org"
            $0.smtpTo = ["ops@example.org"]
            $0.smtpStartTLS = false
            $0.smtpUsername = "btcrate"
        }, password: "hunter2")
        let results = await notifier.test(now: 0)
        #expect(results.count == 1 && results[0].error != nil)
        #expect(smtp.received.isEmpty)
    }

    @Test func aMailThatRequiresTLSIsNeverSentInClearText() async throws {
        let smtp = try FakeSMTPServer()
        smtp.offerSTARTTLS = true
        let (notifier, _) = notifier {
            $0.smtpURL = smtp.url
            $0.smtpFrom = "btcrate@example.org"
            $0.smtpTo = ["ops@example.org"]
            $0.smtpStartTLS = true
        }
        let results = await notifier.test(now: 0)
        #expect(results.count == 1 && results[0].error != nil)
        #expect(smtp.received.isEmpty)
    }

    @Test func theServiceNotifiesSystemdAndReactsToAFailingCollector() async throws {
        try await AsyncLock.notifyEnvironment.withLock { try await serviceReactsToAFailingCollector() }
    }

    func serviceReactsToAFailingCollector() async throws {
        let stack = try TestStack()
        let webhook = try FakeWebhookReceiver()
        stack.configuration.sources = [.coinbase]
        stack.configuration.notify.webhookURL = webhook.url
        stack.configuration.graphHealthURL = nil
        // An hour's poll: only inotify can wake the watchdog in time for this test.
        stack.configuration.watchdogPoll = 3600
        _ = await stack.collect()

        let socket = try NotifySocket(path: stack.directory.file("notify.sock"))
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let service = WatchdogService(context: stack.context(), clock: stack.clock, smtpPassword: nil)
        let task = Task { try await service.run() }
        defer { task.cancel() }

        let ready = try #require(socket.receive(timeout: 5))
        #expect(ready.hasPrefix("READY=1\nSTATUS=1 pair fresh, 0 alerts firing"))

        // Two failed runs: the run record changes, inotify wakes the watchdog well before its 30 s poll.
        stack.server.set(.coinbase, .body("down", status: 500))
        stack.advance(slots: 1)
        _ = await stack.collect()
        stack.advance(slots: 1)
        _ = await stack.collect()
        let hook = try #require(webhook.waitFor(1, timeout: 20).first)
        let alerts = (hook.json as? [String: Any])?["alerts"] as? [[String: Any]]
        #expect(alerts?.contains { ($0["labels"] as? [String: String])?["alertname"] == "CollectorFailing" } == true)
        let state = AlertStateStore(stateDirectory: stack.directory.path).load()
        #expect(state[AlertKey(.collectorFailing, pair: "BTC-USD")]?.phase == .firing)
        #expect(stack.log.lines.contains { $0.metadata["alert"] == "CollectorFailing" && $0.metadata["alert_state"] == "firing" })

        // Recovery resolves it.
        stack.server.reset()
        stack.advance(slots: 1)
        _ = await stack.collect()
        let resolved = webhook.waitFor(2, timeout: 10)
        #expect((resolved.last?.json as? [String: Any])?["status"] as? String == "resolved")
    }
}

extension WatchdogTests {
    @Test func itPingsTheSystemdWatchdogAtHalfTheInterval() async throws {
        try await AsyncLock.notifyEnvironment.withLock { try await pingsAtHalfTheInterval() }
    }

    func pingsAtHalfTheInterval() async throws {
        let stack = try TestStack()
        stack.configuration.graphHealthURL = nil
        // An hour's poll: every message after READY=1 comes from the ping schedule.
        stack.configuration.watchdogPoll = 3600
        _ = await stack.collect()
        let socket = try NotifySocket(path: stack.directory.file("notify.sock"))
        setenv("NOTIFY_SOCKET", socket.path, 1)
        setenv("WATCHDOG_USEC", "400000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer { unsetenv("NOTIFY_SOCKET"); unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        let task = Task { try await WatchdogService(context: stack.context(), clock: stack.clock, smtpPassword: nil).run() }
        defer { task.cancel() }
        var messages: [String] = []
        while messages.count < 4, let message = socket.receive(timeout: 10) { messages.append(message) }
        #expect(messages.count == 4)
        #expect(messages.allSatisfy { $0.contains("WATCHDOG=1") })
        #expect(messages.first?.hasPrefix("READY=1") == true && messages.dropFirst().allSatisfy { !$0.contains("READY=1") })
    }
}

