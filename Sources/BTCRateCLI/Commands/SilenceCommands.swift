import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc

/// `btcrate alerts silence`, `silences` and `unsilence`: mute an alert's sinks for
/// a while, as an Alertmanager silence does. The watchdog reads
/// <state directory>/silences.json within a second of a change.
extension AlertsCommand {
    struct SilenceAlert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "silence",
            abstract: "Keep an alert from the sinks for a while; prints the silence's id.",
            discussion: """
                The alert is still evaluated, journaled (priority info, "silenced by ID") and listed by \
                btcrate alerts. If it still fires when the silence ends, the sinks hear of it then. \
                Exit codes: 0 silenced; 64 unknown alert name, pair or duration; 73 the state directory \
                cannot be written; 78 configuration error.
                """)

        @OptionGroup var common: CommonOptions

        @Argument(help: "The alert name, as btcrate alerts shows it (RateStale, CollectorFailing, ...).")
        var alertName: String

        @Option(name: .long, help: "Only this pair (BTC-USD); without it, every pair.")
        var pair: String?

        @Option(name: .customLong("for"), help: "How long: 90s, 30m, 2h, 1d (at most 30d).")
        var duration: String

        @Option(name: .long, help: "Why, for whoever reads btcrate alerts silences.")
        var comment: String?

        @Flag(name: .long, help: "Print the silence as JSON.")
        var json = false

        func run() async throws {
            guard let name = AlertName(rawValue: alertName) ?? AlertName.allCases.first(where: { $0.rawValue.lowercased() == alertName.lowercased() }),
                  name != .btcrateTest else {
                throw ValidationError("unknown alert '\(alertName)'; one of: \(AlertName.allCases.filter { $0 != .btcrateTest }.map(\.rawValue).joined(separator: ", "))")
            }
            let seconds: Double
            do {
                seconds = try DurationText.seconds(duration, in: 1...(30 * 86_400))
            } catch {
                throw ValidationError("--for: \(error)")
            }
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            if let pair, !context.configuration.pairs.contains(where: { "\($0)" == pair }) {
                throw ValidationError("--pair \(pair) is not in collector.pairs (\(context.configuration.pairs.map { "\($0)" }.joined(separator: ", ")))")
            }
            let environment = ProcessInfo.processInfo.environment
            let store = SilenceStore(stateDirectory: context.configuration.stateDirectory)
            let silence: Silence
            do {
                silence = try store.add(name, pair: pair, duration: Int(seconds), comment: comment,
                                        createdBy: environment["SUDO_USER"] ?? environment["USER"], now: Int(Date().timeIntervalSince1970))
            } catch {
                context.logger.error("silence not saved: \(error)", metadata: ["error_class": "storage_error"])
                throw ExitStatus.exit(ExitStatus.storage)
            }
            if json {
                print(try SilenceList.json(SilenceList.object(silence, now: silence.startsAt)))
            } else {
                print(silence.id)
                let scope = pair.map { " for \($0)" } ?? ""
                Stderr.write("\(name.rawValue)\(scope) silenced until \(Timestamp.iso8601(silence.endsAt)); end it early with: btcrate alerts unsilence \(silence.id.prefix(8))\n")
            }
        }
    }

    struct SilenceList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "silences",
            abstract: "List the silences: those in force, and those that ended in the last 24 hours.",
            discussion: "Exit codes: 0 listed; 1 the silences file cannot be read; 78 configuration error.")

        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            let now = Int(Date().timeIntervalSince1970)
            // Those in force first, then the ended ones; each by its end.
            func rank(_ silence: Silence) -> Int { silence.isActive(at: now) ? 0 : 1 }
            let silences: [Silence]
            do {
                silences = try SilenceStore(stateDirectory: context.configuration.stateDirectory).load()
                    .filter { now - $0.endsAt <= SilenceStore.keepEnded }.sorted { (rank($0), $0.endsAt) < (rank($1), $1.endsAt) }
            } catch {
                context.logger.error("\(error)")
                throw ExitCode(1)
            }
            if json {
                print(try Self.json(silences.map { Self.object($0, now: now) }))
            } else if silences.isEmpty {
                print("no silences")
            } else {
                let rows = silences.map { silence in
                    [silence.id, silence.isActive(at: now) ? "active" : "ended", silence.alert.rawValue, silence.pair ?? "(all)",
                     Timestamp.iso8601(silence.endsAt), silence.createdBy ?? "-", silence.comment ?? ""]
                }
                print(TextTable.render(header: ["ID", "STATE", "ALERT", "PAIR", "ENDS", "BY", "COMMENT"], rows: rows))
            }
        }

        /// One silence for --json, with its `state` ("active" or "ended") at `now`.
        static func object(_ silence: Silence, now: Int) -> [String: Any] {
            ["id": silence.id, "alert": silence.alert.rawValue, "pair": silence.pair ?? JSONValue.Null(),
             "starts_at": Timestamp.iso8601(silence.startsAt), "ends_at": Timestamp.iso8601(silence.endsAt),
             "state": silence.isActive(at: now) ? "active" : "ended",
             "comment": silence.comment ?? JSONValue.Null(), "created_by": silence.createdBy ?? JSONValue.Null()]
        }

        static func json(_ value: Any) throws -> String {
            String(decoding: try JSONValue(any: value).encoded(pretty: true), as: UTF8.self)
        }
    }

    struct Unsilence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unsilence",
            abstract: "End a silence now.",
            discussion: """
                What the silence kept from the sinks and still fires reaches them within a second. \
                Exit codes: 0 ended; 1 no silence in force has that id (or the prefix is ambiguous); \
                73 the state directory cannot be written; 78 configuration error.
                """)

        @OptionGroup var common: CommonOptions

        @Argument(help: "The silence's id, or its first characters (as btcrate alerts silences shows it).")
        var id: String

        func run() async throws {
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            let result: SilenceStore.EndResult
            do {
                result = try SilenceStore(stateDirectory: context.configuration.stateDirectory).end(id: id, now: Int(Date().timeIntervalSince1970))
            } catch {
                context.logger.error("silence not ended: \(error)", metadata: ["error_class": "storage_error"])
                throw ExitStatus.exit(ExitStatus.storage)
            }
            switch result {
            case .ended(let silence):
                print("ended \(silence.id) (\(silence.alert.rawValue)\(silence.pair.map { " for \($0)" } ?? ""))")
            case .notFound:
                context.logger.error("no silence in force has the id \(id); see btcrate alerts silences")
                throw ExitCode(1)
            case .ambiguous(let ids):
                context.logger.error("\(id) starts more than one silence's id (\(ids.joined(separator: ", "))); give more of it")
                throw ExitCode(1)
            }
        }
    }
}
