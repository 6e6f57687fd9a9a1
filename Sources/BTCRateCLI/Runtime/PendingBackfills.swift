import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Glibc
import Logging

/// Completes the backfills a killed (or failed) `btcrate backfill` left in
/// `backfill.json`, before any live sample is written: after a live sample the
/// slots in between could never be filled. Runs with the state lock held.
struct PendingBackfills {
    let context: AppContext

    var store: BackfillRecordStore { BackfillRecordStore(stateDirectory: context.configuration.stateDirectory) }

    /// Fills every pending entry, then drops it from the record, unless the
    /// file could not be written (that run fails anyway, and the next one tries
    /// again). An entry whose history failed is dropped too when `keepOnHistoryFailure`
    /// is false, because the live sample that follows ends its chance.
    @discardableResult
    func complete(keepOnHistoryFailure: Bool, progress: ProgressLine? = nil) async -> [Backfill.Report] {
        let logger = context.logger
        let store = store
        guard let record = await Blocking.perform({ store.load() }), !record.pairs.isEmpty else { return [] }
        let backfill = Backfill(configuration: context.configuration, history: context.historySource,
                                store: context.store, logger: logger)
        var reports: [Backfill.Report] = []
        for entry in record.pairs {
            guard let range = entry.range else {
                logger.warning("dropping an unreadable entry of \(BackfillRecordStore.fileName) for \(entry.pair)", metadata: ["pair": "\(entry.pair)"])
                _ = try? await Blocking.run { try store.remove(entry.pair) }
                continue
            }
            logger.notice("completing the interrupted backfill of \(entry.pair) (\(entry.from) to \(entry.to))",
                          metadata: ["pair": "\(entry.pair)"])
            let label = "\(entry.pair)"
            let report = await backfill.run(entry.pair, from: range.lowerBound, to: range.upperBound) { step in
                progress?.show("\(label) (interrupted backfill): page \(step.pagesDone)/\(step.pagesTotal), \(step.slotsFilled) slots filled")
            }
            BackfillLog.report(report, logger: logger)
            let keep = report.storageFailure != nil || (report.stoppedBy != nil && keepOnHistoryFailure)
            if !keep {
                if report.stoppedBy != nil {
                    logger.warning("the interrupted backfill of \(entry.pair) could not be completed: \(report.unknown) slots stay unknown",
                                   metadata: ["pair": "\(entry.pair)", "error_class": "\(report.stoppedBy!.kind.rawValue)"])
                }
                do { try await Blocking.run { try store.remove(entry.pair) } } catch {
                    logger.error("\(BackfillRecordStore.fileName) not updated: \(error)", metadata: ["error_class": "storage_error"])
                }
            }
            reports.append(report)
        }
        return reports
    }
}

/// The journal lines of a backfill, the same for the command and for a completion.
enum BackfillLog {
    static func report(_ report: Backfill.Report, logger: Logger) {
        let pair = "\(report.pair)"
        if let failure = report.storageFailure {
            logger.error("backfill of \(pair) could not write: \(failure.message)",
                         metadata: ["pair": "\(pair)", "error_class": "\(failure.kind.rawValue)"])
        } else if report.slots > 0 {
            logger.info("backfill of \(pair) filled \(report.filled) of \(report.slots) slots", metadata: [
                "pair": "\(pair)", "filled_slots": "\(report.filled)", "source": "bitstamp",
            ])
        }
    }
}
