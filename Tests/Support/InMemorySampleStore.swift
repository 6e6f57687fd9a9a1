import BTCRateCore
import Foundation

/// A `SampleStore` in memory that enforces librrd's one rule that matters to
/// the collector: each row must be newer than the last.
public final class InMemorySampleStore: SampleStore, @unchecked Sendable {
    public struct Row: Equatable, Sendable {
        public let time: Int
        public let rate: Double?
        public let bid: Double?
        public let ask: Double?

        public init(time: Int, rate: Double?, bid: Double?, ask: Double?) {
            self.time = time
            self.rate = rate
            self.bid = bid
            self.ask = ask
        }
    }

    private let lock = NSLock()
    private var files: [CurrencyPair: (created: Int, rows: [Row])] = [:]
    public var failWrites: String?

    public init() {}

    public func rows(of pair: CurrencyPair) -> [Row] { lock.withLock { files[pair]?.rows ?? [] } }

    public func seed(_ pair: CurrencyPair, rows: [Row]) {
        lock.withLock { files[pair] = (created: (rows.first?.time ?? 0) - 600, rows: rows) }
    }

    public func lastSample(of pair: CurrencyPair) throws(StorageFailure) -> StoredSample? {
        lock.withLock {
            guard let file = files[pair] else { return nil }
            guard let last = file.rows.last else { return StoredSample(slot: Slot(containing: file.created), rate: nil) }
            return StoredSample(slot: Slot(containing: last.time), rate: last.rate)
        }
    }

    public func create(_ pair: CurrencyPair, firstSlot: Slot) throws(StorageFailure) {
        lock.withLock { files[pair] = (created: firstSlot.start - 600, rows: []) }
    }

    public func append(_ rows: [String], to pair: CurrencyPair) throws(StorageFailure) {
        if let failWrites { throw StorageFailure(failWrites) }
        lock.lock()
        defer { lock.unlock() }
        do {
            guard var file = files[pair] else { throw StorageFailure("no file for \(pair)") }
            for text in rows {
                let parts = text.split(separator: ":").map(String.init)
                let time = Int(parts[0])!
                let last = file.rows.last?.time ?? file.created
                guard time > last else {
                    throw StorageFailure("illegal attempt to update using time \(time) when last update time is \(last)", isNotNewer: true)
                }
                file.rows.append(Row(time: time, rate: Double(parts[1]), bid: Double(parts[2]), ask: Double(parts[3])))
            }
            files[pair] = file
        }
    }
}
