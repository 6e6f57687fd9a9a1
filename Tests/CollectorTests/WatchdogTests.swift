@testable import BTCRateCLI
import BTCRateCore
import BTCRateTestSupport
import FakePriceServer
import LibRRD
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

    /// A started notifier over an outbox in `state` (a new temporary directory unless given).
    func notifier(_ configure: (inout NotifyConfiguration) -> Void, password: String? = nil, state: String? = nil,
                  log: CapturedLog = CapturedLog()) -> (AlertNotifier, CapturedLog) {
        var configuration = Configuration()
        configuration.stateDirectory = state ?? TemporaryDirectory().path
        configuration.notify.retryDelay = 0.05
        configuration.notify.groupWait = 0   // each notification at once, unless a test asks for the wait
        configure(&configuration.notify)
        let notifier = AlertNotifier(configuration: configuration, smtpPassword: password, logger: log.logger())
        notifier.start()
        return (notifier, log)
    }

    func waitUntil(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { usleep(10_000) }
        return condition()
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
        // RateStale escalates, so Alertmanager also hears the warning copy, as Prometheus would post it.
        let severities = ((alerts?.json as? [[String: Any]]) ?? []).compactMap { ($0["labels"] as? [String: String])?["severity"] }
        #expect(severities.sorted() == ["critical", "warning"])
        // The journal entry: priority by severity, the documented fields.
        let line = try #require(log.lines.first { $0.metadata["alert"] == "RateStale" })
        #expect(line.level == .critical)
        #expect(line.metadata["alert_state"] == "firing" && line.metadata["severity"] == "critical" && line.metadata["pair"] == "BTC-USD")
        #expect(line.metadata["MESSAGE_ID"] == AlertJournal.messageID(.rateStale))
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
        notifier.refreshAlertmanager(transitions().map(\.alert), watchdogSince: now - 60, now: now)
        let posted = try #require(manager.waitFor(1).first?.json as? [[String: Any]])
        let names = posted.compactMap { ($0["labels"] as? [String: String]).map { "\($0["alertname"] ?? "") \($0["severity"] ?? "")" } }
        // The critical RateStale with its warning copy, and the dead-man's switch.
        #expect(names == ["RateStale critical", "RateStale warning", "Watchdog none"])
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
        #expect(line?.level == .notice && line?.metadata["MESSAGE_ID"] == AlertJournal.messageID(.rateStale))
    }

    /// Firing and escalation at the alert's own priority, repeats and resolved at
    /// notice, muted at info; and log.level drops none of them.
    @Test func journalPrioritiesFollowWhatTheEntryIs() {
        let log = CapturedLog()
        var configuration = Configuration()
        configuration.stateDirectory = TemporaryDirectory().path
        let notifier = AlertNotifier(configuration: configuration, smtpPassword: nil, logger: log.logger(level: .error))
        func alert(_ severity: Severity, _ name: AlertName = .collectorFailing) -> AlertState {
            AlertState(key: AlertKey(name, pair: "BTC-USD"), phase: .firing, severity: severity, summary: "s", description: "d",
                       value: nil, threshold: nil, activeSince: 0, firedAt: 0, lastNotifiedAt: 0)
        }
        notifier.notify([
            Routed(Transition(kind: .firing, alert: alert(.critical, .rateStale), at: 0)),
            Routed(Transition(kind: .firing, alert: alert(.warning), at: 0)),
            Routed(Transition(kind: .firing, alert: alert(.info, .priceAbove), at: 0)),
            Routed(Transition(kind: .firing, alert: alert(.warning, .rateStale), at: 0, previousSeverity: .critical)),
            Routed(Transition(kind: .repeated, alert: alert(.warning, .flatline), at: 0)),
            Routed(Transition(kind: .resolved, alert: alert(.warning, .spreadWide), at: 0)),
            Routed(Transition(kind: .firing, alert: alert(.warning, .priceMove), at: 0), muted: .silenced(id: "x")),
        ])
        let levels = log.lines.filter { $0.metadata["alert"] != nil }.map { "\($0.metadata["alert"] ?? "") \($0.level)" }
        #expect(levels == ["RateStale critical", "CollectorFailing warning", "PriceAbove info", "RateStale warning",
                           "Flatline notice", "SpreadWide notice", "PriceMove info"])
    }

    /// Every alert name has its MESSAGE_ID in the journal catalog, with the cause and
    /// the next step; a stack alert's entry speaks of no pair.
    @Test func theCatalogHasAnEntryForEveryAlert() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = try String(contentsOf: root.appendingPathComponent("packaging/btcrate.catalog"), encoding: .utf8)
        let entries = catalog.components(separatedBy: "\n-- ").dropFirst()
        let byID = Dictionary(uniqueKeysWithValues: entries.map { (String($0.prefix(32)), $0) })
        let stackAlerts: Set<AlertName> = [.graphServiceDown, .diskSpaceLow, .clockJump, .clockNotSynchronised, .unitFailed, .notificationsFailing]
        for name in AlertName.allCases where name != .btcrateTest {
            let entry = try #require(byID[AlertJournal.messageID(name)], "no catalog entry for \(name.rawValue)")
            #expect(entry.contains("Subject: btcrate alert \(name.rawValue)") && entry.contains("Next step"))
            #expect(stackAlerts.contains(name) != entry.contains("@BTCRATE_PAIR@"), "\(name.rawValue)")
        }
        #expect(Set(AlertName.allCases.map(AlertJournal.messageID)).count == AlertName.allCases.count)
        #expect(byID[AlertJournal.troubleMessageID] != nil && byID[AlertNotifier.deliveryMessageID] != nil)
    }

    /// A receiver that is down (here: 7 failures, the count that 2 minutes at the
    /// default 2 s doubling delay gives) gets its notification once it is back: once,
    /// with the delay journaled, and the outbox is empty after.
    @Test func aReceiverThatWasDownGetsItsNotificationOnce() throws {
        let webhook = try FakeWebhookReceiver()
        webhook.failNext(7)
        let (notifier, log) = notifier { $0.webhookURL = webhook.url }
        notifier.notify(transitions())
        #expect(webhook.waitFor(1, timeout: 20).count == 1)
        #expect(waitUntil { log.lines.contains { $0.message.hasPrefix("alerts delivered to webhook after 8 attempts") } })
        let late = log.lines.first { $0.message.hasPrefix("alerts delivered to webhook after") }
        #expect(late?.level == .notice && late?.metadata["delay_seconds"] != nil)
        // The first failure is a warning; the retries after it are info.
        #expect(log.lines.filter { $0.metadata["error_class"] == "delivery_failed" && $0.level == .warning }.count == 1)
        #expect(notifier.backlog() == [])
        usleep(300_000)
        #expect(webhook.requests.count == 1)
    }

    /// The outbox outlives the process: a watchdog stopped while its receiver is
    /// down leaves the notification queued, and the next one delivers it, once.
    @Test func aQueuedNotificationSurvivesAWatchdogRestart() async throws {
        let webhook = try FakeWebhookReceiver()
        webhook.failNext(1_000)
        let state = TemporaryDirectory()
        let (first, log) = notifier({ $0.webhookURL = webhook.url; $0.retryDelay = 30 }, state: state.path)
        first.notify(transitions())
        #expect(waitUntil { log.lines.contains { $0.metadata["error_class"] == "delivery_failed" } })
        await first.shutdown(drainFor: 0.5)
        #expect(log.lines.contains { $0.message.contains("1 notification(s) left in the outbox") })
        #expect(first.backlog()?.first?.count == 1)
        webhook.failNext(0)
        // The entry keeps its backoff (30 s) across the restart; make it due now.
        let outbox = Outbox(stateDirectory: state.path)
        let name = try #require(outbox.names(sink: "webhook").first)
        var entry = try #require(outbox.read(sink: "webhook", name: name))
        #expect(entry.attempts >= 1 && entry.lastError?.contains("HTTP 500") == true)
        entry.nextAttemptAt = 0
        try outbox.write(entry, name: name)
        let (second, _) = notifier({ $0.webhookURL = webhook.url }, state: state.path)
        #expect(webhook.waitFor(1, timeout: 10).count == 1)
        #expect(waitUntil { second.backlog() == [] })
        usleep(300_000)
        #expect(webhook.requests.count == 1)
    }

    /// Two couriers on one outbox (a reload's old and new watchdog, or two
    /// processes) never send the same notification twice.
    @Test func twoCouriersOnOneOutboxDeliverOnce() throws {
        let webhook = try FakeWebhookReceiver()
        webhook.respondAfter(seconds: 0.5)
        let state = TemporaryDirectory()
        let (first, _) = notifier({ $0.webhookURL = webhook.url }, state: state.path)
        let (second, _) = notifier({ $0.webhookURL = webhook.url }, state: state.path)
        first.notify(transitions())
        second.notify(transitions(.resolved))
        #expect(webhook.waitFor(2).count == 2)
        #expect(waitUntil { first.backlog() == [] })
        sleep(2)
        #expect(webhook.requests.count == 2)
    }

    func alert(_ name: AlertName, pair: String = "BTC-USD") -> AlertState {
        AlertState(key: AlertKey(name, pair: pair), phase: .firing, severity: .warning, summary: "\(name.rawValue) summary",
                   description: "d", value: nil, threshold: nil, activeSince: 1000, firedAt: 1000, lastNotifiedAt: 1000)
    }

    /// notify.group_wait: changes within the wait of the first go as one
    /// notification; every webhook body lists the group's whole current list, with
    /// status firing while any alert in it fires, under the same groupKey; and
    /// Alertmanager, which groups by itself, hears of each change at once.
    @Test func groupWaitBatchesChangesAndTheWebhookListsTheWholeGroup() throws {
        let webhook = try FakeWebhookReceiver(), manager = try FakeWebhookReceiver()
        let (notifier, _) = notifier { $0.webhookURL = webhook.url; $0.alertmanagerURL = manager.url; $0.groupWait = 1 }
        let stale = alert(.rateStale), failing = alert(.collectorFailing)
        notifier.notify([Transition(kind: .firing, alert: stale, at: 2000)], firing: [stale])
        #expect(manager.waitFor(1, timeout: 0.8).count == 1)      // at once, not after the group_wait
        notifier.notify([Transition(kind: .firing, alert: failing, at: 2001)], firing: [stale, failing])
        #expect(webhook.waitFor(1, timeout: 0.5).isEmpty)          // still within the wait
        let first = try #require(webhook.waitFor(1).first?.json as? [String: Any])
        func names(_ body: [String: Any]) -> [String] {
            ((body["alerts"] as? [[String: Any]]) ?? []).map { "\(($0["labels"] as? [String: String])?["alertname"] ?? "?"):\($0["status"] ?? "?")" }
        }
        #expect(names(first) == ["RateStale:firing", "CollectorFailing:firing"])
        #expect(first["status"] as? String == "firing")
        usleep(300_000)
        #expect(webhook.requests.count == 1)

        // RateStale resolves; CollectorFailing, unchanged, is still in the list.
        notifier.notify([Transition(kind: .resolved, alert: stale, at: 2100)], firing: [failing])
        #expect(webhook.waitFor(2).count == 2)
        let second = try #require(webhook.requests.last?.json as? [String: Any])
        #expect(names(second) == ["RateStale:resolved", "CollectorFailing:firing"])
        #expect(second["status"] as? String == "firing")
        #expect(second["groupKey"] as? String == first["groupKey"] as? String)
        #expect((second["groupKey"] as? String)?.contains("instance=") == true)
        #expect(manager.waitFor(3).count == 3)
    }

    /// The group_wait lives in the outbox entry, not in memory: a watchdog that
    /// dies during the wait loses nothing, and the next one sends the group.
    @Test func aGroupWaitingWhenTheWatchdogDiesIsSentByTheNext() throws {
        let webhook = try FakeWebhookReceiver()
        let state = TemporaryDirectory()
        var configuration = Configuration()
        configuration.stateDirectory = state.path
        configuration.notify.webhookURL = webhook.url
        configuration.notify.groupWait = 1
        // Never started: it queues and is gone, as after a kill -9 within the wait.
        let dead = AlertNotifier(configuration: configuration, smtpPassword: nil, logger: CapturedLog().logger())
        dead.notify([Transition(kind: .firing, alert: alert(.rateStale), at: 2000)], firing: [alert(.rateStale)])
        dead.notify([Transition(kind: .firing, alert: alert(.flatline), at: 2001)], firing: [alert(.rateStale), alert(.flatline)])
        #expect(Outbox(stateDirectory: state.path).names(sink: "webhook").count == 2)
        let (next, _) = notifier({ $0.webhookURL = webhook.url; $0.groupWait = 1 }, state: state.path)
        let body = try #require(webhook.waitFor(1).first?.json as? [String: Any])
        #expect((body["alerts"] as? [[String: Any]])?.count == 2)
        #expect(waitUntil { next.backlog() == [] })
        usleep(300_000)
        #expect(webhook.requests.count == 1)
    }

    /// A stop during the group_wait sends the group within the drain instead of
    /// leaving it for the next start.
    @Test func aStopDuringTheGroupWaitSendsTheGroup() async throws {
        let webhook = try FakeWebhookReceiver()
        let (notifier, _) = notifier { $0.webhookURL = webhook.url; $0.groupWait = 600 }
        notifier.notify([Transition(kind: .firing, alert: alert(.rateStale), at: 2000)], firing: [alert(.rateStale)])
        await notifier.shutdown(drainFor: 5)
        #expect(webhook.requests.count == 1)
        #expect(notifier.backlog() == [])
    }

    /// A reload to another state directory: what the old outbox still held is
    /// delivered from the new one, first; then the old directory's firing alerts
    /// are resolved as no longer evaluated, and the old alerts.json is emptied.
    @Test func aMovedStateDirectoryResolvesItsAlertsAndCarriesItsOutbox() throws {
        let webhook = try FakeWebhookReceiver()
        let old = TemporaryDirectory(), new = TemporaryDirectory()
        let stale = alert(.rateStale)
        try AlertStateStore(stateDirectory: old.path).save([stale.key: stale], now: 2000)
        try Outbox(stateDirectory: old.path).enqueue([Transition(kind: .firing, alert: alert(.flatline), at: 1990)],
                                                     sink: "webhook", now: Date().timeIntervalSince1970 - 10)
        let (notifier, log) = notifier({ $0.webhookURL = webhook.url }, state: new.path)
        StateHandover(from: old.path, to: new.path, logger: log.logger()).run(notifier: notifier, now: 2100)
        let bodies = webhook.waitFor(2).compactMap { $0.json as? [String: Any] }.compactMap { ($0["alerts"] as? [[String: Any]])?.first }
        #expect(bodies.count == 2)
        #expect((bodies.first?["labels"] as? [String: String])?["alertname"] == "Flatline")
        #expect((bodies.last?["labels"] as? [String: String])?["alertname"] == "RateStale" && bodies.last?["status"] as? String == "resolved")
        #expect(((bodies.last?["annotations"] as? [String: String])?["note"] ?? "").contains("the state directory moved from \(old.path)"))
        #expect(AlertStateStore(stateDirectory: old.path).load().isEmpty)
        #expect(Outbox(stateDirectory: old.path).names(sink: "webhook").isEmpty)
        // The resolution ends the period in the old directory's history; the new one has none.
        let ended = AlertHistory(stateDirectory: old.path).events(since: nil)
        #expect(ended.map(\.event) == [.resolved] && ended.first?.alert == "RateStale" && ended.first?.at == 2100)
        #expect(AlertHistory(stateDirectory: new.path).events(since: nil).isEmpty)
        #expect(log.lines.contains { $0.message.contains("1 alert(s) resolved as no longer evaluated, 1 queued notification(s) carried over") })
    }

    @Test func aNotificationIsGivenUpAfterItsTime() throws {
        let webhook = try FakeWebhookReceiver()
        webhook.failNext(1_000)
        let (notifier, log) = notifier { $0.webhookURL = webhook.url; $0.giveUpAfter = 0.3 }
        notifier.notify(transitions())
        #expect(waitUntil { log.lines.contains { $0.metadata["error_class"] == "delivery_given_up" } })
        let line = log.lines.first { $0.metadata["error_class"] == "delivery_given_up" }
        #expect(line?.level == .warning && line?.message.contains("notify.give_up_after") == true)
        #expect(waitUntil { notifier.backlog() == [] })
    }

    /// NotificationsFailing about the webhook goes to the other sinks, not into the
    /// webhook's own queue behind the notifications it is about.
    @Test func notificationsFailingGoesThroughTheOtherSinks() throws {
        let webhook = try FakeWebhookReceiver(), slack = try FakeWebhookReceiver()
        let (notifier, _) = notifier { $0.webhookURL = webhook.url; $0.slackURL = slack.url }
        let alert = AlertState(key: AlertKey(.notificationsFailing), phase: .firing, severity: .warning,
                               summary: "notifications undelivered: webhook (3 queued, oldest 6 min)", description: "d",
                               value: "webhook", threshold: "300", activeSince: 0, firedAt: 0, lastNotifiedAt: 0)
        notifier.notify([Transition(kind: .firing, alert: alert, at: 0)])
        let text = (slack.waitFor(1).first?.json as? [String: Any])?["text"] as? String
        #expect(text?.contains("NotificationsFailing") == true)
        #expect(webhook.waitFor(1, timeout: 1).isEmpty)
    }

    /// A storage host's file, over TCP: the watchdog reads it through the daemon
    /// (LAST, FETCH) with no local file; with the daemon gone the pair has a file
    /// error (StorageError), not "no file yet".
    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func theWatchdogReadsAStorageHostOverTCP() async throws {
        let storage = TemporaryDirectory(), state = TemporaryDirectory()
        let daemon = try RRDCachedDaemon(directory: storage.path, tcpPort: RRDCachedDaemon.freePort())
        var configuration = Configuration()
        configuration.stateDirectory = state.path
        configuration.rrdcachedAddress = daemon.tcpAddress
        configuration.graphHealthURL = nil
        let now = Slot(containing: Int(Date().timeIntervalSince1970)).start
        let client = RRDCachedClient(address: try #require(daemon.tcpAddress))
        let file = RRDFile(path: "BTC-USD.rrd")
        try client.create(file: file, step: 600, start: now - 6 * 3600, definitions: RRDLayout.definitions)
        try client.update(file: file, rows: (1...36).map {
            RRDLayout.row(slot: Slot(containing: now - 6 * 3600 + $0 * 600), rate: 40_000 + Double($0), bid: nil, ask: nil)
        })
        let gatherer = ObservationGatherer(configuration: configuration, hasKey: false, now: Date())
        let data = await gatherer.gather(now: Date(timeIntervalSince1970: TimeInterval(now + 60))).pairs[0]
        #expect(data.fileError == nil, "\(data.fileError ?? "")")
        #expect(data.lastUpdate == now)
        #expect(data.recent.compactMap(\.rate).last == 40_036)
        #expect(!FileManager.default.fileExists(atPath: configuration.rrdPath(for: data.pair)))
        kill(daemon.pid, SIGKILL)
        let gone = await gatherer.gather(now: Date(timeIntervalSince1970: TimeInterval(now + 120))).pairs[0]
        #expect(gone.fileError?.contains("rrdcached") == true, "\(gone.fileError ?? "no error")")
        withExtendedLifetime(daemon) {}
    }

    /// Against CLOCK_BOOTTIME a suspend is no jump (wall and boot clock moved
    /// alike); a clock stepped forward or back is.
    @Test func aSuspendIsNoClockJumpAStepIs() {
        let boot = LockedValue(1000.0)
        var configuration = Configuration()
        configuration.stateDirectory = TemporaryDirectory().path
        let gatherer = ObservationGatherer(configuration: configuration, hasKey: false, now: Date(), sinceBoot: { boot.get() })
        gatherer.noteClock(wall: 50_000)
        boot.set(4600)                       // an hour suspended
        gatherer.noteClock(wall: 53_600)
        #expect(gatherer.lastClockJump == nil)
        boot.set(4630)                       // 30 s later, the clock is stepped 3 days ahead
        gatherer.noteClock(wall: 53_630 + 259_200)
        #expect(gatherer.lastClockJump?.seconds == 259_200)
        boot.set(4660)                       // and back
        gatherer.noteClock(wall: 53_660)
        #expect(gatherer.lastClockJump?.seconds == -259_200)
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
        try await serviceReactsToAFailingCollector()
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

        let socket = RecordingServiceManager()
        var service = WatchdogService(context: stack.context(), clock: stack.clock, smtpPassword: nil)
        service.serviceManager = socket
        let task = Task { [service] in try await service.run() }
        defer { task.cancel() }

        let ready = try #require(socket.receive(timeout: 5))
        #expect(ready.hasPrefix("READY=1\nSTATUS=1 pair fresh, 0 alerts firing"))

        // Two failed runs: the run record changes, inotify wakes the watchdog well before its 30 s poll.
        stack.server.set(.coinbase, .body("down", status: 500))
        stack.advance(slots: 1)
        _ = await stack.collect()
        stack.advance(slots: 1)
        _ = await stack.collect()
        // (The manual clock's jumps fire ClockJump too, which may arrive on its own first.)
        func lists(_ name: String, _ status: String, _ request: FakeWebhookReceiver.Received) -> Bool {
            let alerts = ((request.json as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
            return alerts.contains { ($0["labels"] as? [String: String])?["alertname"] == name && $0["status"] as? String == status }
        }
        #expect(waitUntil(20) { webhook.requests.contains { lists("CollectorFailing", "firing", $0) } })
        let state = AlertStateStore(stateDirectory: stack.directory.path).load()
        #expect(state[AlertKey(.collectorFailing, pair: "BTC-USD")]?.phase == .firing)
        #expect(stack.log.lines.contains { $0.metadata["alert"] == "CollectorFailing" && $0.metadata["alert_state"] == "firing" })

        // Recovery resolves it.
        stack.server.reset()
        stack.advance(slots: 1)
        _ = await stack.collect()
        // The body lists the whole group: CollectorFailing resolved, beside whatever else fires.
        #expect(waitUntil(10) { webhook.requests.contains { lists("CollectorFailing", "resolved", $0) } })

        // The history has both ends, and the graph's period from them.
        let history = AlertHistory(stateDirectory: stack.directory.path)
        func recorded() -> [AlertHistoryEvent] { history.events(since: nil).filter { $0.alert == "CollectorFailing" } }
        #expect(waitUntil(5) { recorded().count == 2 })
        #expect(recorded().map(\.event) == [.firing, .resolved])
        #expect(recorded().allSatisfy { $0.pair == "BTC-USD" && $0.severity == .warning })
        let period = try #require(history.periods(overlapping: nil, pair: "BTC-USD").first { $0.alert == "CollectorFailing" })
        #expect(period.end == recorded().last?.at && period.start <= recorded().first!.at)
    }
}

extension WatchdogTests {
    @Test func itPingsTheSystemdWatchdogAtHalfTheInterval() async throws {
        try await pingsAtHalfTheInterval()
    }

    func pingsAtHalfTheInterval() async throws {
        let stack = try TestStack()
        stack.configuration.graphHealthURL = nil
        // An hour's poll: every message after READY=1 comes from the ping schedule.
        stack.configuration.watchdogPoll = 3600
        _ = await stack.collect()
        let socket = RecordingServiceManager(watchdogInterval: .milliseconds(400))
        var service = WatchdogService(context: stack.context(), clock: stack.clock, smtpPassword: nil)
        service.serviceManager = socket
        let task = Task { [service] in try await service.run() }
        defer { task.cancel() }
        var messages: [String] = []
        while messages.count < 4, let message = socket.receive(timeout: 10) { messages.append(message) }
        #expect(messages.count == 4)
        #expect(messages.allSatisfy { $0.contains("WATCHDOG=1") })
        #expect(messages.first?.hasPrefix("READY=1") == true && messages.dropFirst().allSatisfy { !$0.contains("READY=1") })
    }
}


extension WatchdogTests {
    /// Who watches the watchdog: the always-firing Watchdog alert goes to
    /// Alertmanager from the first evaluation on, and notify.heartbeat_url is
    /// pinged every watchdog.heartbeat_interval while the watchdog is healthy.
    @Test func theWatchdogAnnouncesItselfToAlertmanagerAndTheHeartbeatURL() async throws {
        try await announcesItself()
    }

    func announcesItself() async throws {
        let stack = try TestStack()
        let manager = try FakeWebhookReceiver(), pings = try FakeWebhookReceiver()
        stack.configuration.graphHealthURL = nil
        stack.configuration.notify.alertmanagerURL = manager.url
        stack.configuration.notify.heartbeatURL = pings.url + "/ping/abc"
        stack.configuration.heartbeatInterval = 1
        _ = await stack.collect()
        let statePath = stack.directory.path   // the task owns the stack from here on
        var service = WatchdogService(context: stack.context(), clock: SystemClock(), smtpPassword: nil)
        service.serviceManager = RecordingServiceManager()
        let task = Task { [service] in try await service.run() }
        defer { task.cancel() }
        // The first post may carry the first evaluation's transitions; a refresh follows within the poll.
        #expect(waitUntil { manager.requests.contains { Self.watchdogAlert(in: $0) != nil } })
        let watchdog = manager.requests.lazy.compactMap { Self.watchdogAlert(in: $0) }.first
        #expect((watchdog?["labels"] as? [String: String])?["severity"] == "none")
        let heartbeats = pings.waitFor(3, timeout: 10)
        #expect(heartbeats.count >= 3 && heartbeats.allSatisfy { $0.path == "/ping/abc" })
        // Every evaluation is recorded, so `btcrate alerts` can tell a live watchdog.
        let evaluated = AlertStateStore(stateDirectory: statePath).snapshot()?.evaluatedAt
        #expect(evaluated != nil && abs(evaluated! - Int(Date().timeIntervalSince1970)) < 60)
    }

    static func watchdogAlert(in request: FakeWebhookReceiver.Received) -> [String: Any]? {
        (request.json as? [[String: Any]])?.first { ($0["labels"] as? [String: String])?["alertname"] == "Watchdog" }
    }
}

extension WatchdogTests {
    /// A silence written while the watchdog runs mutes the sinks at once (inotify),
    /// the journal still says what fires, and unsilencing tells the sinks within a moment.
    @Test func aSilenceMutesTheSinksUntilItEnds() async throws {
        try await silenceMutesTheSinks()
    }

    func silenceMutesTheSinks() async throws {
        let stack = try TestStack()
        let webhook = try FakeWebhookReceiver()
        stack.configuration.sources = [.coinbase]
        stack.configuration.notify.webhookURL = webhook.url
        stack.configuration.graphHealthURL = nil
        stack.configuration.watchdogPoll = 3600
        _ = await stack.collect()
        let store = SilenceStore(stateDirectory: stack.directory.path)
        let silence = try store.add(.collectorFailing, pair: "BTC-USD", duration: 86_400, comment: "test", createdBy: nil,
                                    now: Int(stack.clock.now().timeIntervalSince1970))
        var service = WatchdogService(context: stack.context(), clock: stack.clock, smtpPassword: nil)
        service.serviceManager = RecordingServiceManager()
        let task = Task { [service] in try await service.run() }
        defer { task.cancel() }

        stack.server.set(.coinbase, .body("down", status: 500))
        stack.advance(slots: 1)
        _ = await stack.collect()
        stack.advance(slots: 1)
        _ = await stack.collect()
        let journaled = waitUntil {
            stack.log.lines.contains { $0.metadata["alert"] == "CollectorFailing" && $0.metadata["muted"] == "silenced by \(silence.id)" }
        }
        #expect(journaled)
        #expect(stack.log.lines.first { $0.metadata["muted"] != nil }?.level == .info)
        // (The test clock's jumps fire ClockJump, which is not silenced and may arrive.)
        func collectorFailing(_ request: FakeWebhookReceiver.Received) -> Bool {
            let alerts = (request.json as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            return alerts.contains { ($0["labels"] as? [String: String])?["alertname"] == "CollectorFailing" && $0["status"] as? String == "firing" }
        }
        usleep(1_000_000)
        #expect(!webhook.requests.contains(where: collectorFailing))
        // The history says what happened, sent or not.
        let history = AlertHistory(stateDirectory: stack.directory.path)
        #expect(history.events(since: nil).contains { $0.alert == "CollectorFailing" && $0.event == .firing })

        _ = try store.end(id: silence.id, now: Int(stack.clock.now().timeIntervalSince1970))
        #expect(waitUntil { webhook.requests.contains(where: collectorFailing) })
        // The sinks' late "no longer muted" firing is no second firing in the history.
        #expect(history.events(since: nil).filter { $0.alert == "CollectorFailing" }.count == 1)
    }
}

extension WatchdogTests {
    /// aiosmtpd (python3-aiosmtpd) requiring STARTTLS and a login, its certificate
    /// signed by a private CA: trusted through notify.smtp_ca_file, the mail goes
    /// out with the login; without it, verification refuses the server and nothing is sent.
    @Test func startTLSWithAPrivateCAGivenBySmtpCAFile() async throws {
        let directory = TemporaryDirectory()
        let server = try STARTTLSServer(directory: directory.path, username: "btcrate", password: "s3cret-pw")
        defer { server.stop() }
        func configure(_ caFile: String?) -> (inout NotifyConfiguration) -> Void {
            { notify in
                notify.smtpURL = "smtp://127.0.0.1:\(server.port)"
                notify.smtpFrom = "btcrate@example.org"
                notify.smtpTo = ["ops@example.org"]
                notify.smtpUsername = "btcrate"
                notify.smtpCAFile = caFile
            }
        }
        let (untrusting, untrustingLog) = notifier(configure(nil), password: "s3cret-pw")
        let refused = await untrusting.test(now: 0)
        #expect(refused.count == 1 && refused[0].error != nil)
        #expect(server.mails().isEmpty)

        let (trusting, trustingLog) = notifier(configure(directory.file("ca.pem")), password: "s3cret-pw")
        let sent = await trusting.test(now: 0)
        #expect(sent.count == 1 && sent[0].error == nil, "\(sent.first?.error.map { "\($0)" } ?? "")")
        let mail = try #require(server.mails().first)
        #expect(mail.contains("Subject: [btcrate] TEST"))
        for log in [untrustingLog, trustingLog] { #expect(!log.lines.contains { $0.text.contains("s3cret-pw") }) }
    }
}

/// Tests/smtp/starttls-server.py as a child process.
final class STARTTLSServer {
    let process = Process()
    let port: Int
    let directory: String

    init(directory: String, username: String, password: String) throws {
        self.directory = directory
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        // Debian's own Python: python3-aiosmtpd is installed for it (scripts/install-deps --test).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [root.appendingPathComponent("smtp/starttls-server.py").path, directory, username, password]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("port "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the STARTTLS SMTP server did not start: \(line)"])
        }
        self.port = port
    }

    func mails() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { FileManager.default.contents(atPath: directory + "/" + $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// SIGKILL, not SIGTERM: a child inherits an ignored SIGTERM from the test
    /// process (signal handling tests set it so), and would never stop.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// The service manager as the watchdog sees it, in memory: each message it
/// would send over $NOTIFY_SOCKET, in order, and the WatchdogSec= it is given.
final class RecordingServiceManager: ServiceManager, @unchecked Sendable {
    let watchdogInterval: Duration?
    private let lock = NSLock()
    private var messages: [String] = []
    private var read = 0
    private let arrived = DispatchSemaphore(value: 0)

    init(watchdogInterval: Duration? = nil) { self.watchdogInterval = watchdogInterval }

    func notify(_ state: String) {
        lock.withLock { messages.append(state) }
        arrived.signal()
    }

    /// The next message, waiting at most `timeout` seconds for it.
    func receive(timeout: Double) -> String? {
        guard arrived.wait(timeout: .now() + timeout) == .success else { return nil }
        return lock.withLock {
            defer { read += 1 }
            return messages[read]
        }
    }
}

extension WatchdogTests {
    /// An append that fails (here the history's name is taken by a directory) is
    /// journaled once as a warning, then at info until it works again; it throws nothing.
    @Test func aFailedHistoryAppendIsJournaledAndAlertingGoesOn() async throws {
        let directory = TemporaryDirectory()
        let blocked = directory.file(AlertHistory.fileName)
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        let log = CapturedLog()
        let recorder = AlertHistoryRecorder(history: AlertHistory(stateDirectory: directory.path), logger: log.logger())
        await recorder.record(transitions())
        await recorder.record(transitions(.resolved))
        await recorder.record(transitions(.repeated))   // nothing to record, nothing tried
        let failures = log.lines.filter { $0.message.hasPrefix("alert history not written") }
        #expect(failures.map(\.level) == [.warning, .info])
        #expect(failures.first?.metadata["error_class"] == "storage_error")
        #expect(failures.first?.message.contains(blocked) == true)
        try FileManager.default.removeItem(atPath: blocked)
        await recorder.record(transitions())
        #expect(log.lines.last?.level == .notice && log.lines.last?.message.hasPrefix("alert history is written again") == true)
        #expect(AlertHistory(stateDirectory: directory.path).events(since: nil).count == 1)
    }
}
