import Logging

/// Fills missed slots from a 10-minute history source, oldest first.
///
/// RRD history cannot be rewritten, so this must run before the current sample
/// is written. Slots the history does not cover are left out of the rows:
/// with the heartbeat equal to the step, they stay UNKNOWN and show as gaps.
public struct GapRepairer: Sendable {
    public struct Progress: Sendable {
        public let pagesDone: Int
        public let pagesTotal: Int
        public let slotsFilled: Int
    }

    /// What a repair achieved.
    public struct Report: Sendable {
        public var filled = 0
        /// The newest slot a row (value or unknown) was written for, if any.
        public var lastWritten: Slot?
        /// The rate written for `lastWritten`.
        public var lastRate: Double?
        /// Set when the history source failed and the repair stopped early.
        public var stoppedBy: FetchFailure?
    }

    let history: any HistorySource
    let store: any SampleStore
    let validator: QuoteValidator
    let logger: Logger

    public init(history: any HistorySource, store: any SampleStore, validator: QuoteValidator, logger: Logger) {
        self.history = history
        self.store = store
        self.validator = validator
        self.logger = logger
    }

    /// Writes every slot in `slots` that history covers. `previous` is the file's
    /// last update (at or before the slot before `slots`).
    /// A history failure stops the repair but keeps what was already written;
    /// the report says so, and the caller goes on with the live sample.
    public func fill(
        _ pair: CurrencyPair, after previous: Slot, slots: ClosedRange<Int>,
        progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws(StorageFailure) -> Report {
        let perPage = history.maxCandlesPerCall * Slot.seconds
        let pageStarts = Array(stride(from: slots.lowerBound, through: slots.upperBound, by: perPage))
        var report = Report()
        for (index, pageStart) in pageStarts.enumerated() {
            let pageEnd = min(pageStart + perPage - Slot.seconds, slots.upperBound)
            let candles: [Candle]
            do {
                candles = try await history.candles(for: pair, from: pageStart, to: pageEnd)
            } catch {
                logger.warning("gap repair stopped: \(error.summary)", metadata: [
                    "pair": "\(pair)", "source": "\(history.id)", "error_class": "\(error.kind.rawValue)",
                    "error": "\(error.detail)", "filled_slots": "\(report.filled)",
                ])
                report.stoppedBy = error
                return report
            }
            // A candle's open is the price at its slot's start, which is when the
            // collector would have sampled it.
            let usable = candles.filter { $0.start % Slot.seconds == 0 && validator.isPlausible($0) }
            if candles.count != usable.count {
                logger.warning("gap repair skipped implausible or misaligned candles", metadata: [
                    "pair": "\(pair)", "source": "\(history.id)", "skipped": "\(candles.count - usable.count)",
                ])
            }
            let samples = usable.map { (slot: Slot(containing: $0.start), rate: Optional($0.open), bid: Double?.none, ask: Double?.none) }
            let rows = RRDLayout.rows(samples, after: report.lastWritten ?? previous)
            let store = self.store
            try await offload { () throws(StorageFailure) in try store.append(rows, to: pair) }
            report.filled += samples.count
            if let last = samples.last {
                report.lastWritten = last.slot
                report.lastRate = last.rate
            }
            progress?(Progress(pagesDone: index + 1, pagesTotal: pageStarts.count, slotsFilled: report.filled))
        }
        return report
    }
}
