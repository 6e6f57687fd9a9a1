import FoundationEssentials
import Glibc

/// The outcome of the latest collection run, kept as `last-run.json` in the
/// state directory for the watchdog, the graph page and scripts. The format is
/// documented in README, "Run record"; `version` changes if it ever breaks.
public struct RunRecord: Codable, Sendable, Equatable {
    public struct PairEntry: Codable, Sendable, Equatable {
        public var pair: CurrencyPair
        /// When this pair's collection started (ISO 8601, UTC).
        public var time: String
        public var slot: String
        public var durationMs: Int
        public var result: PairOutcome.Result
        public var source: SourceID?
        public var rate: Double?
        public var confirmedBy: SourceID?
        public var errorClass: FetchFailure.Kind?
        public var error: String?
        public var attempts: [PairOutcome.Attempt]
        public var filledSlots: Int
        /// Runs in a row, this one included, that got no sample for this pair.
        public var consecutiveFailures: Int
        /// The last run that got a sample (ISO 8601), if any run ever did.
        public var lastSuccess: String?
        /// The source of the newest sample written, kept across runs that wrote none.
        public var lastSource: SourceID?
    }

    public var version = 1
    public var command: String
    public var startedAt: String
    public var finishedAt: String
    public var exitCode: Int32
    /// True when no Alpha Vantage key was configured, so only keyless sources ran.
    public var keylessOnly: Bool
    public var pairs: [PairEntry]

    public init(command: String, startedAt: Date, finishedAt: Date, exitCode: Int32, keylessOnly: Bool,
                outcomes: [PairOutcome], previous: RunRecord?) {
        self.command = command
        self.startedAt = Timestamp.iso8601(Int(startedAt.timeIntervalSince1970))
        self.finishedAt = Timestamp.iso8601(Int(finishedAt.timeIntervalSince1970))
        self.exitCode = exitCode
        self.keylessOnly = keylessOnly
        let before = Dictionary((previous?.pairs ?? []).map { ($0.pair, $0) }, uniquingKeysWith: { $1 })
        let time = self.startedAt
        pairs = outcomes.map { outcome in
            let earlier = before[outcome.pair]
            return PairEntry(
                pair: outcome.pair, time: time, slot: "\(outcome.slot)",
                durationMs: Int(outcome.durationSeconds * 1000), result: outcome.result,
                source: outcome.source, rate: outcome.rate, confirmedBy: outcome.confirmedBy,
                errorClass: outcome.errorClass, error: outcome.error, attempts: outcome.attempts,
                filledSlots: outcome.repairedSlots,
                consecutiveFailures: outcome.gotSample ? 0 : (earlier?.consecutiveFailures ?? 0) + 1,
                lastSuccess: outcome.gotSample ? time : earlier?.lastSuccess,
                lastSource: outcome.source ?? earlier?.lastSource)
        }
    }
}

/// Reads and atomically replaces `last-run.json`.
public struct RunRecordStore: Sendable {
    public static let fileName = "last-run.json"
    public let path: String

    public init(stateDirectory: String) {
        path = stateDirectory.trimmingTrailingSlashes + "/" + Self.fileName
    }

    public func load() -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(RunRecord.self, from: data)
    }

    /// Writes to a temporary file, syncs it, and renames it over the old record,
    /// so a reader sees the old record or the new one, never half of one.
    public func save(_ record: RunRecord) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(record)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }
}
