import Logging

/// Seeds a pair's file with history for a range of slots: `btcrate backfill`, and
/// the completion of a backfill that was interrupted (see `BackfillRecord`).
///
/// A pair without a file gets one that starts at the range's first slot. A pair
/// with a file gets the slots after its newest sample: RRD files cannot be
/// rewritten, so nothing before that can change. Slots the history lacks stay
/// unknown and show as gaps.
public struct Backfill: Sendable {
    /// What one pair's backfill did. Times are slot starts (Unix seconds).
    public struct Report: Sendable {
        public let pair: CurrencyPair
        public var from: Int
        public let to: Int
        public var slots = 0
        public var filled = 0
        /// The history source failed and the backfill stopped early.
        public var stoppedBy: FetchFailure?
        /// The file could not be created or written.
        public var storageFailure: StorageFailure?

        public var unknown: Int { slots - filled }
        public var isComplete: Bool { stoppedBy == nil && storageFailure == nil }
    }

    let configuration: Configuration
    let history: any HistorySource
    let store: any SampleStore
    let logger: Logger

    public init(configuration: Configuration, history: any HistorySource, store: any SampleStore, logger: Logger) {
        self.configuration = configuration
        self.history = history
        self.store = store
        self.logger = logger
    }

    /// Fills the slots from `from` to `to` (slot starts) that come after the file's
    /// newest sample, creating the file first if there is none.
    public func run(_ pair: CurrencyPair, from firstWanted: Int, to: Int,
                    progress: (@Sendable (GapRepairer.Progress) -> Void)? = nil) async -> Report {
        let store = self.store
        var report = Report(pair: pair, from: firstWanted, to: to)
        var previous = Slot(containing: firstWanted).previous
        do {
            if let last = try await offload({ () throws(StorageFailure) in try store.lastSample(of: pair) }) {
                report.from = max(firstWanted, last.slot.start + Slot.seconds)
                previous = last.slot
            } else {
                try await offload { () throws(StorageFailure) in try store.create(pair, firstSlot: Slot(containing: firstWanted)) }
                logger.notice("created RRD file for backfill", metadata: ["pair": "\(pair)", "path": "\(configuration.storage(for: pair).path)", "storage": "\(configuration.storage(for: pair))"])
            }
        } catch {
            report.storageFailure = error
            return report
        }
        guard report.from <= to else { return report }
        report.slots = (to - report.from) / Slot.seconds + 1
        let repairer = GapRepairer(history: history, store: store,
                                   validator: QuoteValidator(policy: configuration.policy(for: pair)), logger: logger)
        do {
            let result = try await repairer.fill(pair, after: previous, slots: report.from...to, progress: progress)
            report.filled = result.filled
            report.stoppedBy = result.stoppedBy
        } catch {
            report.storageFailure = error
        }
        return report
    }
}
