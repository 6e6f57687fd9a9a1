import FoundationEssentials
import Glibc

/// The ranges a backfill set out to fill and has not finished, kept as
/// `backfill.json` in the state directory while it runs.
///
/// A backfill that is killed (or whose history source failed) leaves its entries
/// behind, and the next run that takes the state lock (`collect`, `backfill`, or
/// `btcrate run`'s collector) completes them before it writes any live sample:
/// once a live sample is written, nothing older can be filled, and the slots in
/// between would stay unknown for good.
public struct BackfillRecord: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var pair: CurrencyPair
        /// The first and last slot to fill (ISO 8601, UTC).
        public var from: String
        public var to: String

        public init(pair: CurrencyPair, from: Int, to: Int) {
            self.pair = pair
            self.from = Timestamp.iso8601(from)
            self.to = Timestamp.iso8601(to)
        }

        /// The range as slot starts; nil if the record was edited into nonsense.
        public var range: ClosedRange<Int>? {
            guard let start = Timestamp.parse(from), let end = Timestamp.parse(to), start <= end else { return nil }
            return start...end
        }
    }

    public var version = 1
    public var startedAt: String
    public var pairs: [Entry]

    public init(startedAt: Date, pairs: [Entry]) {
        self.startedAt = Timestamp.iso8601(Int(startedAt.timeIntervalSince1970))
        self.pairs = pairs
    }
}

/// Reads and atomically replaces `backfill.json`; removes it once nothing is pending.
public struct BackfillRecordStore: Sendable {
    public static let fileName = "backfill.json"
    public let path: String

    public init(stateDirectory: String) {
        path = stateDirectory.trimmingTrailingSlashes + "/" + Self.fileName
    }

    /// The pending entries; empty when there is no record (or an unreadable one).
    public func load() -> BackfillRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(BackfillRecord.self, from: data)
    }

    /// Writes the record, or removes the file when no entry is left.
    public func save(_ record: BackfillRecord) throws {
        guard !record.pairs.isEmpty else {
            if unlink(path) != 0, errno != ENOENT {
                throw AtomicFile.WriteError(call: "unlink", path: path, code: errno)
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(record)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }

    /// Drops one pair's entry (it is done, or can no longer be done).
    public func remove(_ pair: CurrencyPair) throws {
        guard var record = load(), record.pairs.contains(where: { $0.pair == pair }) else { return }
        record.pairs.removeAll { $0.pair == pair }
        try save(record)
    }
}
