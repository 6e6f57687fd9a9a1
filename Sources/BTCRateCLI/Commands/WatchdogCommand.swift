import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc
import ServiceLifecycle

/// `btcrate watchdog`: watches the stack and the data, and alerts.
struct WatchdogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Watch the stack and the data; journal and send alerts.",
        discussion: """
            Evaluates the alert rules (see the README) whenever the collector writes to the state \
            directory, at staleness deadlines and at least every watchdog.poll_interval. Each transition \
            (firing, resolved, repeated) gets one journal entry (BTCRATE_ALERT, BTCRATE_ALERT_STATE, \
            BTCRATE_SEVERITY, BTCRATE_PAIR) and one grouped notification per configured sink. State is kept \
            in <state directory>/alerts.json. A systemd Type=notify service: READY=1, STATUS=, WATCHDOG=1. \
            SIGHUP (systemctl reload) re-reads the configuration; an invalid one is reported and the \
            running watchdog stays.
            """
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "watchdog")
        try context.prepareStateDirectory()
        let service = ReloadingService(configPath: common.config, component: "watchdog", initial: context) { context, replacing in
            // A reload may name another state directory: make sure it is usable first.
            try context.prepareStateDirectory()
            return try WatchdogService(context: context, clock: SystemClock(), smtpPassword: SecretFiles.smtpPassword(context),
                                       movedFrom: replacing?.configuration.stateDirectory)
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger))
        try await group.run()
        context.logger.notice("watchdog stopped")
    }
}

/// `btcrate alerts`: the active alerts, and a test of every sink.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the active alerts (pending and firing) or their history, or test the notification sinks.",
        discussion: """
            Reads <state directory>/alerts.json, as the watchdog keeps it at every evaluation. Exit codes: \
            0 no warning or critical alert firing (info alerts and muted ones never count); 1 at least one \
            firing and not muted; 3 the \
            watchdog is not running (it has not evaluated for 3 poll intervals, or never ran here: the \
            states shown are as of its last evaluation); 78 configuration error.
            """,
        subcommands: [ListAlerts.self, HistoryAlerts.self, TestAlerts.self, SilenceAlert.self, SilenceList.self, Unsilence.self],
        defaultSubcommand: ListAlerts.self
    )

    struct ListAlerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the active alerts (the default).")

        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            let configuration = context.configuration
            let snapshot = AlertStateStore(stateDirectory: configuration.stateDirectory).snapshot()
            let states = (snapshot?.states ?? [:])
                .values.sorted { ($0.phase.rawValue, $1.severity, $0.key) < ($1.phase.rawValue, $0.severity, $1.key) }
            let now = Int(Date().timeIntervalSince1970)
            let watchdog = WatchdogLiveness(evaluatedAt: snapshot?.evaluatedAt, now: now, poll: configuration.watchdogPoll)
            // The liveness verdict goes to stderr, so that --json stays the plain array scripts read.
            if let warning = watchdog.warning { Stderr.write(warning + "\n") }
            let muting: Muting
            do {
                muting = Muting(silences: try SilenceStore(stateDirectory: configuration.stateDirectory).load())
            } catch {
                Stderr.write("silences not applied: \(error)\n")
                muting = Muting()
            }
            let all = snapshot?.states ?? [:]
            let muted = Dictionary(uniqueKeysWithValues: states.compactMap { state in
                muting.reason(for: state.key, firing: all, now: now).map { (state.key, "\($0)") }
            })
            if json {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                var objects = try JSONDecoder().decode([[String: JSONValue]].self, from: encoder.encode(states))
                for index in objects.indices { objects[index]["muted"] = muted[states[index].key].map(JSONValue.string) ?? .null }
                print(objects.isEmpty ? "[]" : String(decoding: try JSONValue(any: objects.map { $0.mapValues(\.any) }).encoded(pretty: true), as: UTF8.self))
            } else {
                if states.isEmpty {
                    print("no active alerts")
                } else {
                    let rows = states.map { state in
                        [state.phase.rawValue, state.severity.rawValue, state.key.name.rawValue, state.key.pair.isEmpty ? "-" : state.key.pair,
                         Timestamp.iso8601(state.firedAt ?? state.activeSince), muted[state.key] ?? "-", state.summary]
                    }
                    print(TextTable.render(header: ["STATE", "SEVERITY", "ALERT", "PAIR", "SINCE", "MUTED", "SUMMARY"], rows: rows))
                }
                if let evaluatedAt = snapshot?.evaluatedAt {
                    print("\nwatchdog last evaluated \(Timestamp.iso8601(evaluatedAt)) (\(max(0, now - evaluatedAt)) s ago)")
                }
            }
            if !watchdog.running { throw ExitCode(3) }
            if states.contains(where: { $0.phase == .firing && $0.severity != .info && muted[$0.key] == nil }) { throw ExitCode(1) }
        }
    }

    /// Whether alerts.json is live: the watchdog saves it at every evaluation,
    /// which happens at least every poll interval.
    struct WatchdogLiveness {
        let evaluatedAt: Int?
        let now: Int
        let poll: Double

        var running: Bool {
            guard let evaluatedAt else { return false }
            return Double(now - evaluatedAt) <= 3 * poll
        }

        var warning: String? {
            guard !running else { return nil }
            guard let evaluatedAt else {
                return "the watchdog is not running: it has never evaluated here (no alerts.json with evaluated_at); start btcrate-watchdog"
            }
            return "the watchdog is not running: it last evaluated \(Timestamp.iso8601(evaluatedAt)), \(now - evaluatedAt) s ago "
                + "(more than 3 x watchdog.poll_interval); the states below are as of then. Next step: systemctl status btcrate-watchdog"
        }
    }

    struct TestAlerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Send a test alert (BtcrateTest) through every configured sink and report each result.",
            discussion: "Exit codes: 0 every sink accepted it; 1 at least one failed; 78 configuration error (or no sink configured).")

        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() async throws {
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            let notifier = AlertNotifier(configuration: context.configuration, smtpPassword: try SecretFiles.smtpPassword(context), logger: context.logger)
            guard !notifier.sinks.isEmpty else {
                context.logger.error("no notification sink is configured (notify.webhook_url, slack_url, alertmanager_url or smtp_url)")
                throw ExitStatus.exit(ExitStatus.config)
            }
            let results = await notifier.test(now: Int(Date().timeIntervalSince1970))
            if json {
                let object: [[String: Any]] = results.map { ["sink": $0.sink, "ok": $0.error == nil, "error": $0.error.map { "\($0)" } ?? ""] }
                print(String(decoding: try JSONValue(any: object).encoded(pretty: true), as: UTF8.self))
            } else {
                for result in results {
                    print("\(result.sink): \(result.error.map { "FAILED: \($0)" } ?? "ok")")
                }
            }
            if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
        }
    }
}

/// A plain text table with aligned columns.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String { render(rows: [header] + rows) }

    /// Rows of equal length; the last column is not padded.
    static func render(rows all: [[String]]) -> String {
        let widths = (all.first?.indices ?? 0..<0).map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Secrets other than the API key: the SMTP password, most safe place first.
enum SecretFiles {
    static func smtpPassword(_ context: AppContext) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let directory = environment["CREDENTIALS_DIRECTORY"] { candidates.append(directory + "/smtp-password") }
        candidates.append("/run/secrets/smtp-password")
        if let file = context.configuration.notify.smtpPasswordFile { candidates.append(file) }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                context.logger.error("SMTP password file \(path) cannot be read")
                throw ExitStatus.exit(ExitStatus.config)
            }
            return String(String(decoding: data, as: UTF8.self).drop { $0.isNewline }.reversed().drop { $0.isNewline }.reversed())
        }
        return nil
    }
}
