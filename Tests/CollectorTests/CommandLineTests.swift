import BTCRateCore
import FakePriceServer
import BTCRateTestSupport
import Foundation
import LibCurl
import Testing

/// The `btcrate` executable as an operator runs it: a separate process, its
/// exit status, its stdout and stderr.
@Suite(.serialized) struct CommandLineTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("btcrate").path
    }

    let directory = TemporaryDirectory()
    let server = try! FakePriceServer()
    static let key = "PROCESSKEY4242XYZ"

    /// Environment pointing every source at the fake and the state at a temporary directory.
    var environment: [String: String] {
        var values = ["PATH": "/usr/bin:/bin", "BTCRATE_STATE_DIRECTORY": directory.file("state"),
                      "BTCRATE_CONFIG": directory.file("empty.conf"), "BTCRATE_LOG_TARGET": "stderr"]
        for name in ["ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"] {
            values["BTCRATE_\(name)_URL"] = server.baseURL
        }
        return values
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:], withDefaultConfig: Bool = false) throws -> Run {
        // An empty config file of our own, so that no /etc/btcrate/btcrate.conf on the machine leaks in.
        FileManager.default.createFile(atPath: directory.file("empty.conf"), contents: Data())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = environment.merging(extra) { $1 }
        if withDefaultConfig { env["BTCRATE_CONFIG"] = nil }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A port nobody listens on right now (bound, read, released).
    static func freePort() -> Int {
        let (port, fd) = listeningSocket()
        close(fd)
        return port
    }

    @Test func everyCommandExplainsEveryOption() throws {
        let expected: [String: [String]] = [
            "": ["collect", "run", "graph", "watchdog", "alerts", "backfill", "rewind", "config", "clock_skew", "clock_behind", "storage_timeout", "Exit codes", "--version"],
            "graph": ["--config", "graph.listen", "/healthz"],
            "watchdog": ["--config", "READY=1", "alerts.json"],
            "alerts": ["list", "history", "test", "silence", "silences", "unsilence"],
            "collect": ["--config", "--json", "Exit codes"],
            "run": ["--config", "SIGTERM"],
            "backfill": ["--config", "--days", "--pair", "--json", "--quiet"],
            "config": ["--config", "--json"],
            "rewind": ["--config", "--to", "--dry-run", "--json", "Exit codes", "-6h"],
        ]
        for (command, words) in expected {
            let result = try run((command.isEmpty ? [] : [command]) + ["--help"])
            #expect(result.status == 0)
            for word in words { #expect(result.stdout.contains(word), "\(command) --help lacks \(word)") }
        }
        let version = try run(["--version"])
        #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func aWrongOptionIsAUsageError() throws {
        #expect(try run(["collect", "--no-such-option"]).status == 64)
        #expect(try run(["backfill", "--days", "0"]).status == 64)
    }

    /// `--to -6h` is a time, not an option: past parsing, a pair without a file is exit 66.
    @Test func rewindTakesATimeThatStartsWithADash() throws {
        try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
        let result = try run(["rewind", "BTC-USD", "--to", "-6h", "--dry-run"])
        #expect(result.status == 66, "\(result.stderr)")
        #expect(try run(["rewind", "BTC-USD", "--to", "yesterday"]).status == 64)
    }

    /// A pair on a storage host (TCP) is rewound there, not here: exit 78 saying so;
    /// and `btcrate config` says where each pair's file lives.
    @Test func storageOverTCPInTheCommands() throws {
        try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
        let environment = ["BTCRATE_RRDCACHED_ADDRESS": "192.0.2.7:42217"]
        let rewind = try run(["rewind", "BTC-USD", "--to", "-6h", "--dry-run"], environment: environment)
        #expect(rewind.status == 78, "\(rewind.stderr)")
        #expect(rewind.stderr.contains("run it on the storage host"))
        let config = try run(["config", "--json"], environment: environment)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(config.stdout.utf8)) as? [String: String])
        #expect(object["storage.BTC-USD"] == "BTC-USD.rrd on rrdcached at 192.0.2.7:42217 (TCP: relative to the daemon's base directory)")
        #expect(try run(["config"], environment: ["BTCRATE_RRDCACHED_ADDRESS": "storagehost"]).status == 78)
    }

    @Test func badConfigurationExits78NamingTheKey() throws {
        let config = directory.file("bad.conf")
        try "[collector]\nconcurency = 4\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try run(["collect", "--config", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("unknown key 'concurency'"))
        let missing = try run(["collect", "--config", directory.file("nope.conf")])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("does not exist"))
        let env = try run(["config"], environment: ["BTCRATE_CONCURRENCY": "many"])
        #expect(env.status == 78 && env.stderr.contains("BTCRATE_CONCURRENCY"))
    }

    @Test func collectWritesASampleAndPrintsTheRecordAsJSON() throws {
        let result = try run(["collect", "--json"], environment: ["ALPHAVANTAGE_API_KEY": Self.key])
        #expect(result.status == 0, "\(result.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let pairs = record?["pairs"] as? [[String: Any]]
        #expect(pairs?.first?["result"] as? String == "written")
        #expect(pairs?.first?["source"] as? String == "alphavantage")
        #expect(FileManager.default.fileExists(atPath: directory.file("state/BTC-USD.rrd")))
        let again = try run(["collect"], environment: ["ALPHAVANTAGE_API_KEY": Self.key])
        #expect(again.status == 0)
        #expect(again.stderr.contains("already has a sample; nothing to do"))
    }

    @Test func theKeyNeverAppearsInAnyOutput() throws {
        server.set(.alphavantage, .body(AlphaVantageBodies.dailyQuota(key: Self.key)))
        let keyFile = directory.file("key")
        try Self.key.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let ways = [["ALPHAVANTAGE_API_KEY": Self.key], ["BTCRATE_ALPHAVANTAGE_KEY_FILE": keyFile],
                    ["BTCRATE_LOG_LEVEL": "debug", "ALPHAVANTAGE_API_KEY": Self.key]]
        for (index, way) in ways.enumerated() {
            // A fresh state directory each time, so each run really asks Alpha Vantage.
            let extra = way.merging(["BTCRATE_STATE_DIRECTORY": directory.file("state\(index)")]) { $1 }
            let result = try run(["collect", "--json"], environment: extra)
            #expect(result.status == 0)
            #expect(result.stderr.contains("quota_exhausted"))
            #expect(!result.stderr.contains(Self.key) && !result.stdout.contains(Self.key))
            let config = try run(["config", "--json"], environment: extra)
            #expect(!config.stdout.contains(Self.key) && !config.stderr.contains(Self.key))
        }
        for index in ways.indices {
            let record = try String(contentsOfFile: directory.file("state\(index)/last-run.json"), encoding: .utf8)
            #expect(!record.contains(Self.key))
            #expect(record.contains("[REDACTED]"))
        }
    }

    /// `btcrate config` shows every setting's value (five of them once printed "?").
    @Test func configShowsEverySetting() throws {
        let result = try run(["config", "--json"], environment: ["BTCRATE_RENDER_WORKERS": "3"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String])
        for setting in Setting.all {
            #expect(object[setting.name] != nil && object[setting.name] != "?", "\(setting.name) = \(object[setting.name] ?? "-")")
        }
        #expect(object["graph.render_workers"] == "3" && object["graph.max_queue"] == "64" && object["graph.idle_timeout"] == "30s")
    }

    @Test func whenEverySourceFailsTheExitSays69() throws {
        for source in FakeSource.allCases { server.set(source, .body("down", status: 503)) }
        let result = try run(["collect"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("no sample for BTC-USD"))
    }

    @Test func alertsListsTheActiveAlertsAndExits1WhileOneFires() throws {
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let now = Int(Date().timeIntervalSince1970)
        let store = AlertStateStore(stateDirectory: state)
        try store.save([:], now: now)
        let empty = try run(["alerts"])
        #expect(empty.status == 0 && empty.stdout.contains("no active alerts"))
        #expect(empty.stdout.contains("watchdog last evaluated"))
        var engine = AlertEngine(policy: AlertPolicy())
        _ = engine.apply([Condition(key: AlertKey(.collectorFailing, pair: "BTC-USD"), active: true, severity: .warning,
                                    summary: "2 collection runs in a row failed (timeout)", description: "d")], now: 1_705_320_000)
        try store.save(engine.states, now: now)
        let table = try run(["alerts"])
        #expect(table.status == 1)
        #expect(table.stdout.contains("STATE ") && table.stdout.contains("firing") && table.stdout.contains("CollectorFailing"))
        #expect(table.stdout.contains("2024-01-15T12:00:00Z"))
        let json = try run(["alerts", "list", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(list?.first?["severity"] as? String == "warning")
        let noSinks = try run(["alerts", "test"])
        #expect(noSinks.status == 78 && noSinks.stderr.contains("no notification sink is configured"))
    }

    /// A frozen alerts.json is no all-clear: past 3 poll intervals without an
    /// evaluation (or with none ever), `btcrate alerts` says so and exits 3.
    @Test func alertsExits3WhenTheWatchdogIsNotRunning() throws {
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let never = try run(["alerts"])
        #expect(never.status == 3 && never.stderr.contains("the watchdog is not running: it has never evaluated here"))
        let now = Int(Date().timeIntervalSince1970)
        try AlertStateStore(stateDirectory: state).save([:], now: now - 91)   // the poll interval is 30 s
        let frozen = try run(["alerts"])
        #expect(frozen.status == 3)
        #expect(frozen.stderr.contains("the watchdog is not running: it last evaluated") && frozen.stderr.contains("as of then"))
        let json = try run(["alerts", "--json"])
        #expect(json.status == 3)
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) is [Any])
        try AlertStateStore(stateDirectory: state).save([:], now: now - 80)
        #expect(try run(["alerts"]).status == 0)
    }

    /// Info alerts (FallbackInUse, PriceAbove, PriceBelow) never change the exit status.
    @Test func infoAlertsDoNotChangeTheExitStatus() throws {
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var engine = AlertEngine(policy: AlertPolicy())
        _ = engine.apply([Condition(key: AlertKey(.priceAbove, pair: "BTC-USD"), active: true, severity: .info,
                                    summary: "above", description: "d")], now: 1_705_320_000)
        try AlertStateStore(stateDirectory: state).save(engine.states, now: Int(Date().timeIntervalSince1970))
        let listed = try run(["alerts"])
        #expect(listed.status == 0 && listed.stdout.contains("PriceAbove"))
    }

    /// `alerts history`: one aligned line per event since -7d (or --since), the same
    /// events as JSON, a sentence when there are none, 64 for a time it cannot read.
    @Test func alertsHistoryPrintsTheHistory() throws {
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let empty = try run(["alerts", "history"])
        #expect(empty.status == 0 && empty.stdout.hasPrefix("no alert fired or resolved since "))

        let now = Int(Date().timeIntervalSince1970) / 60 * 60
        func alert(_ name: AlertName, _ pair: String, _ severity: Severity, _ summary: String, since: Int) -> AlertState {
            AlertState(key: AlertKey(name, pair: pair), phase: .firing, severity: severity, summary: summary, description: "d",
                       value: nil, threshold: nil, activeSince: since, firedAt: since, lastNotifiedAt: since)
        }
        let stale = alert(.rateStale, "BTC-USD", .warning, "no new sample for 30 minutes", since: now - 7200)
        var critical = stale
        critical.severity = .critical
        critical.summary = "no new sample for 70 minutes"
        let history = AlertHistory(stateDirectory: state)
        try history.append([Transition(kind: .firing, alert: alert(.unitFailed, "", .critical, "old", since: now - 30 * 86_400), at: now - 30 * 86_400)])
        try history.append([Transition(kind: .firing, alert: stale, at: now - 7200)])
        try history.append([Transition(kind: .firing, alert: critical, at: now - 3600, previousSeverity: .warning)])
        try history.append([Transition(kind: .resolved, alert: critical, at: now - 600, note: "its data is missing")])

        let text = try run(["alerts", "history"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)   // the month-old UnitFailed is before -7d
        let iso = Timestamp.iso8601(now - 7200)   // 2026-12-05T10:20:00Z -> 2026-12-05 10:20 UTC
        let minute = "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(5)) UTC"
        #expect(lines[0] == "\(minute)  firing     RateStale BTC-USD  warning   no new sample for 30 minutes")
        #expect(lines[1].contains("  escalated  RateStale BTC-USD  critical  no new sample for 70 minutes"))
        #expect(lines[2].contains("  resolved   RateStale BTC-USD  critical  no new sample for 70 minutes (its data is missing)"))
        #expect(lines[0].hasSuffix("minutes") && lines[0].range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d UTC  "#, options: .regularExpression) != nil)

        let all = try run(["alerts", "history", "--since", "-60d"])
        #expect(all.stdout.split(separator: "\n").count == 4 && all.stdout.contains("UnitFailed  "))
        let recent = try run(["alerts", "history", "--since", "\(now - 3600)"])
        #expect(recent.stdout.split(separator: "\n").count == 2)
        let none = try run(["alerts", "history", "--since", "-5m"])
        #expect(none.status == 0 && none.stdout.contains("no alert fired or resolved since"))

        let json = try run(["alerts", "history", "--json", "--since", "-1d"])
        #expect(json.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let since = try #require(document["since"] as? Int)
        #expect(abs(since - (now - 86_400)) < 120)
        let events = try #require(document["events"] as? [[String: Any]])
        #expect(events.map { $0["event"] as? String } == ["firing", "firing", "resolved"])
        #expect(events[1]["previous_severity"] as? String == "warning" && events[1]["started_at"] as? Int == now - 7200)
        #expect(events[0]["alert"] as? String == "RateStale" && events[0]["pair"] as? String == "BTC-USD" && events[0]["at"] as? Int == now - 7200)
        let emptyJSON = try JSONSerialization.jsonObject(with: Data(try run(["alerts", "history", "--json", "--since", "-1m"]).stdout.utf8)) as? [String: Any]
        #expect((emptyJSON?["events"] as? [Any])?.isEmpty == true)

        for bad in ["soon", "-7x", "first", "--json"] {
            let refused = try run(["alerts", "history", "--since", bad])
            #expect(refused.status == 64, "--since \(bad)")
        }
        #expect(try run(["alerts", "history", "--since", "soon"]).stderr.contains("--since 'soon' is not a time before now"))
    }

    /// silence prints an id, silences lists it, a muted firing alert is marked and
    /// does not count in the exit status, unsilence ends it by a prefix of its id.
    @Test func silenceListAndUnsilence() throws {
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var engine = AlertEngine(policy: AlertPolicy())
        _ = engine.apply([Condition(key: AlertKey(.collectorFailing, pair: "BTC-USD"), active: true, severity: .warning,
                                    summary: "2 collection runs in a row failed", description: "d")], now: 1_705_320_000)
        try AlertStateStore(stateDirectory: state).save(engine.states, now: Int(Date().timeIntervalSince1970))
        #expect(try run(["alerts"]).status == 1)

        #expect(try run(["alerts", "silence", "NoSuchAlert", "--for", "1h"]).status == 64)
        #expect(try run(["alerts", "silence", "CollectorFailing", "--for", "soon"]).status == 64)
        #expect(try run(["alerts", "silence", "CollectorFailing", "--pair", "BTC-XYZ", "--for", "1h"]).status == 64)
        let made = try run(["alerts", "silence", "CollectorFailing", "--pair", "BTC-USD", "--for", "2h", "--comment", "provider outage"])
        #expect(made.status == 0)
        let id = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 36 && made.stderr.contains("silenced until"))

        let listed = try run(["alerts", "silences", "--json"])
        let silences = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        #expect(silences?.first?["id"] as? String == id && silences?.first?["state"] as? String == "active")
        #expect(silences?.first?["comment"] as? String == "provider outage")
        let muted = try run(["alerts"])
        #expect(muted.status == 0 && muted.stdout.contains("MUTED") && muted.stdout.contains("silenced by \(id)"))
        let json = try JSONSerialization.jsonObject(with: Data(try run(["alerts", "--json"]).stdout.utf8)) as? [[String: Any]]
        #expect(json?.first?["muted"] as? String == "silenced by \(id)")

        #expect(try run(["alerts", "unsilence", "ffffffff"]).status == 1)
        let ended = try run(["alerts", "unsilence", String(id.prefix(8))])
        #expect(ended.status == 0 && ended.stdout.contains("ended \(id)"))
        #expect(try run(["alerts"]).status == 1)
        #expect(try run(["alerts", "silences"]).stdout.contains("ended"))
    }

    @Test func alertsTestReportsEachSink() throws {
        let good = try FakeWebhookReceiver()
        let closed = try FakeWebhookReceiver()
        let deadURL = closed.url
        closed.stop()
        let result = try run(["alerts", "test"], environment: ["BTCRATE_WEBHOOK_URL": good.url, "BTCRATE_SLACK_URL": deadURL,
                                                              "BTCRATE_NOTIFY_RETRIES": "0"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("webhook: ok"))
        #expect(result.stdout.contains("slack: FAILED"))
        // Its own alert name, fired and at once resolved: never a real-looking page.
        let posts = good.waitFor(2)
        let statuses = posts.compactMap { ($0.json as? [String: Any])?["status"] as? String }
        #expect(statuses == ["firing", "resolved"])
        let names = posts.compactMap { ((($0.json as? [String: Any])?["alerts"] as? [[String: Any]])?.first?["labels"] as? [String: String])?["alertname"] }
        #expect(names == ["BtcrateTest", "BtcrateTest"])
        let json = try run(["alerts", "test", "--json"], environment: ["BTCRATE_WEBHOOK_URL": good.url])
        let results = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(results?.first?["ok"] as? Bool == true)
    }

    @Test func anUnusableStateDirectoryExits73() throws {
        let blocker = directory.file("not-a-directory")
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        let result = try run(["collect"], environment: ["BTCRATE_STATE_DIRECTORY": blocker + "/state"])
        #expect(result.status == 73)
        #expect(result.stderr.contains("cannot be created"))
    }

    @Test func backfillSeedsANewFileAndReportsJSON() throws {
        let result = try run(["backfill", "--days", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(report?.first?["pair"] as? String == "BTC-USD")
        #expect(report?.first?["slots"] as? Int == 288)
        #expect(report?.first?["filled"] as? Int == 288)
        #expect(!result.stderr.contains("page "), "no progress line without a terminal")
        let collect = try run(["collect", "--json"])
        #expect(collect.status == 0)
        #expect(collect.stdout.contains("\"filled_slots\" : 0"))
    }

    @Test func runCollectsAtOnceAndStopsOnSIGTERM() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run"]
        FileManager.default.createFile(atPath: directory.file("empty.conf"), contents: Data())
        let port = Self.freePort()
        process.environment = environment.merging(["BTCRATE_LISTEN": "127.0.0.1:\(port)"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let record = directory.file("state/last-run.json")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: record) { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: record))
        // `run` hosts the graph service too.
        var health: HTTPResponse?
        for _ in 0..<50 where health == nil {
            health = try? CurlHTTPClient(userAgent: "test").perform(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz"))
            if health == nil { usleep(100_000) }
        }
        #expect(health?.status == 200)
        // The container's HEALTHCHECK command, against the same service.
        let check = try run(["healthcheck"], environment: ["BTCRATE_LISTEN": "0.0.0.0:\(port)"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("\"status\""))
        process.terminate()
        process.waitUntilExit()
        let down = try run(["healthcheck"], environment: ["BTCRATE_LISTEN": "127.0.0.1:\(port)"])
        #expect(down.status == 1 && down.stdout.hasPrefix("unreachable: "))
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("btcrate run stopped"))
    }

    @Test func graphReloadsOnSIGHUPAndKeepsRunningWhenTheNewFileIsBad() throws {
        let config = directory.file("graph.conf")
        let (first, second) = (Self.freePort(), Self.freePort())
        try "[graph]\nlisten = 127.0.0.1:\(first)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let socket = try NotifySocket(path: directory.file("notify.sock"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["graph"]
        process.environment = environment.merging(["BTCRATE_CONFIG": config, "NOTIFY_SOCKET": socket.path]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func status(_ port: Int) -> Int? {
            (try? CurlHTTPClient(userAgent: "test").perform(HTTPRequest(url: "http://127.0.0.1:\(port)/")))?.status
        }
        #expect(socket.receive(timeout: 20)?.hasPrefix("READY=1") == true)
        #expect(status(first) == 200)

        // A valid new file: RELOADING=1, then READY=1 from the service rebound to the new address.
        try "[graph]\nlisten = 127.0.0.1:\(second)\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(socket.receive(timeout: 10)?.hasPrefix("RELOADING=1") == true)
        #expect(socket.receive(timeout: 10)?.hasPrefix("READY=1") == true)
        #expect(status(second) == 200)
        #expect(status(first) == nil)

        // A broken file: an error, and the running service stays as it was.
        try "[graph]\nlisten = nowhere\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(socket.receive(timeout: 2) == nil)
        #expect(status(second) == 200)

        // A valid file whose port another program holds: the new service cannot bind,
        // and the previous configuration is started again instead of the process dying.
        let (third, holder) = Self.listeningSocket()
        defer { close(holder) }
        try "[graph]\nlisten = 127.0.0.1:\(third)\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(socket.receive(timeout: 10)?.hasPrefix("RELOADING=1") == true)
        #expect(socket.receive(timeout: 10)?.hasPrefix("READY=1") == true)
        #expect(process.isRunning)
        #expect(status(second) == 200)

        process.terminate()
        process.waitUntilExit()
        #expect(socket.receive(timeout: 5)?.contains("STOPPING=1") == true)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("configuration reloaded"))
        #expect(stderr.contains("configuration not reloaded, the running one stays: "))
        #expect(stderr.contains("graph.listen"))
        #expect(stderr.contains("the reloaded configuration failed: "))
    }

    /// A TCP listener on a free loopback port, standing for another program.
    static func listeningSocket() -> (port: Int, fd: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                bind(fd, pointer, length)
                listen(fd, 1)
                return getsockname(fd, pointer, &length)
            }
        }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }
}
