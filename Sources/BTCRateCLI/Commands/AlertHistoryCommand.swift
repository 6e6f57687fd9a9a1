import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc

/// `btcrate alerts history`: what fired, changed severity and resolved, from the
/// watchdog's <state directory>/alert-history.jsonl.
extension AlertsCommand {
    struct HistoryAlerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "List what fired, changed severity and resolved since a time (default: the last 7 days).",
            discussion: """
                Reads <state directory>/alert-history.jsonl and its rotated predecessor \
                alert-history.jsonl.1, where the watchdog records every firing, change of severity and \
                resolution (silenced and inhibited alerts too; not the repeats). The graph draws the same \
                history. Lines that are not whole events (a crash mid-write, a hand edit) are skipped.

                T: a time before now (-6h, -7d, -90m), Unix seconds, or ISO 8601 UTC \
                (2026-12-02T10:00:00Z).

                Exit codes: 0 listed (also when nothing happened in that time); 1 the history cannot be \
                read; 64 usage error (a bad --since); 78 configuration error.
                """)

        @OptionGroup var common: CommonOptions

        // Unconditional: a relative time starts with a dash (--since -6h).
        @Option(name: .long, parsing: .unconditional,
                help: ArgumentHelp("List the events at or after this time: -6h, -7d, Unix seconds or ISO 8601 UTC.", valueName: "T"))
        var since = "-7d"

        @Flag(name: .long, help: "Print JSON instead of text: {\"since\": UNIX_SECONDS, \"events\": [...]}.")
        var json = false

        func validate() throws {
            guard RewindCommand.parseTime(since, now: 0) != nil else {
                throw ValidationError("--since '\(since)' is not a time before now (-6h, -7d), Unix seconds or ISO 8601 UTC (2026-12-02T10:00:00Z)")
            }
        }

        func run() async throws {
            let context = try AppContext.load(configPath: common.config, component: "alerts")
            let now = Int(Date().timeIntervalSince1970)
            guard let from = RewindCommand.parseTime(since, now: now) else { throw ValidationError("--since '\(since)' is not a time") }
            let history = AlertHistory(stateDirectory: context.configuration.stateDirectory)
            do {
                try history.checkReadable()
            } catch {
                context.logger.error("the alert history cannot be read: \(error)", metadata: ["error_class": "storage_error"])
                throw ExitCode(1)
            }
            let events = history.events(since: from)
            if json {
                print(try Self.json(since: from, events: events))
            } else if events.isEmpty {
                print("no alert fired or resolved since \(Self.minute(from))")
            } else {
                print(Self.text(events))
            }
        }

        /// `{"since": 1764000000, "events": [...]}`, each event as its history line has it.
        static func json(since: Int, events: [AlertHistoryEvent]) throws -> String {
            struct Document: Encodable {
                let since: Int
                let events: [AlertHistoryEvent]
            }
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(Document(since: since, events: events)), as: UTF8.self)
        }

        /// One aligned line per event:
        /// `2026-12-05 10:20 UTC  firing     RateStale BTC-USD  warning   no new sample for 30 minutes`
        static func text(_ events: [AlertHistoryEvent]) -> String {
            let rows = events.map { event -> [String] in
                var word = event.event.rawValue
                if let previous = event.previousSeverity {
                    word = event.severity > previous ? "escalated" : "lowered"
                }
                let note = event.note.map { " (\($0))" } ?? ""
                return [minute(event.at), word, event.alert + (event.pair.map { " " + $0 } ?? ""),
                         event.severity.rawValue, event.summary + note]
            }
            return TextTable.render(rows: rows)
        }

        /// `2026-12-05 10:20 UTC`: to the minute, as people scan a log.
        static func minute(_ unix: Int) -> String {
            let iso = Timestamp.iso8601(unix)   // 2026-12-05T10:20:00Z
            return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
        }
    }
}
