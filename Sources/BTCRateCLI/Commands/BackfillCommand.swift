import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Synchronization
import Glibc
import Logging

/// `btcrate backfill --days N`: seeds history from Bitstamp's 10-minute candles.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Seed RRD files with up to N days of 10-minute history from Bitstamp.",
        discussion: """
            A pair without a file gets a new one that starts N days ago, filled from history up to the \
            previous slot. A pair with a file gets the slots after its last sample (RRD files cannot be \
            rewritten, so older slots cannot change). Slots the history lacks stay unknown and show as gaps. \
            Progress is shown on a terminal. Takes the same lock as collect. The range is kept in \
            <state directory>/backfill.json until it is filled: a backfill that is killed, or whose history \
            source fails, is completed by the next run (collect, backfill or btcrate run) before that run \
            writes a live sample.

            Exit codes: 0 done; 69 the history source failed before anything was filled; 73 storage failure \
            (storage_error, storage_timeout); 75 another run holds the lock; 78 configuration error.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: ArgumentHelp("Days of history to seed (1 to 3650).", valueName: "N"))
    var days: Int

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp(
        "Pairs to backfill (default: every configured pair).", valueName: "PAIR"))
    var pair: [String] = []

    @Flag(name: .long, help: "Print a JSON report on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress display, even on a terminal.")
    var quiet = false

    func validate() throws {
        guard (1...3650).contains(days) else {
            throw ValidationError("--days must be from 1 to 3650, not \(days)")
        }
        for text in pair {
            do { _ = try CurrencyPair(parsing: text) } catch { throw ValidationError(error.description) }
        }
    }

    struct PairReport: Encodable {
        let pair: String
        let from: String
        let to: String
        let slots: Int
        let filled: Int
        let unknown: Int
        let error: String?

        init(_ report: Backfill.Report) {
            pair = "\(report.pair)"
            from = Timestamp.iso8601(report.from)
            to = Timestamp.iso8601(report.to)
            slots = report.slots
            filled = report.filled
            unknown = report.unknown
            error = report.storageFailure.map { "\($0.kind.rawValue): \($0.message)" }
                ?? report.stoppedBy.map { "\($0.kind.rawValue): \($0.detail)" }
        }
    }

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "backfill")
        try context.prepareStateDirectory()
        let configuration = context.configuration
        let pairs = try pair.isEmpty ? configuration.pairs : pair.map { try CurrencyPair(parsing: $0) }
        let lock: StateLock
        do {
            lock = try StateLock.forWriting(stateDirectory: configuration.stateDirectory, logger: context.logger)
        } catch {
            throw ExitStatus.exit(error.exitCode)
        }
        defer { withExtendedLifetime(lock) {} }

        let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
        // An earlier backfill that was killed goes first: it is what the record promised.
        let pending = PendingBackfills(context: context)
        await pending.complete(keepOnHistoryFailure: true, progress: progress)

        let clock = SystemClock()
        let current = Slot(containing: clock.now().timeIntervalSince1970)
        let from = current.start - days * 86_400
        let to = current.previous.start
        // Written before the first row: a backfill killed on the way is completed
        // by the next run, whichever command it is, before it writes a live sample.
        var record = pending.store.load() ?? BackfillRecord(startedAt: clock.now(), pairs: [])
        record.pairs.removeAll { entry in pairs.contains(entry.pair) }
        record.pairs += pairs.map { BackfillRecord.Entry(pair: $0, from: from, to: to) }
        do {
            try pending.store.save(record)
        } catch {
            context.logger.error("\(BackfillRecordStore.fileName) not saved: \(error)", metadata: ["error_class": "storage_error"])
            throw ExitStatus.exit(ExitStatus.storage)
        }

        let backfill = Backfill(configuration: configuration, history: context.historySource,
                                store: context.store, logger: context.logger)
        var reports: [Backfill.Report] = []
        for pair in pairs {
            let label = "\(pair)"
            let report = await backfill.run(pair, from: from, to: to) { step in
                progress.show("\(label): page \(step.pagesDone)/\(step.pagesTotal), \(step.slotsFilled) slots filled")
            }
            BackfillLog.report(report, logger: context.logger)
            // Done, or nothing left to do: off the record. A failed history stays on it,
            // so the next collection run tries once more before its live sample.
            if report.isComplete {
                do { try pending.store.remove(pair) } catch {
                    context.logger.error("\(BackfillRecordStore.fileName) not updated: \(error)", metadata: ["error_class": "storage_error"])
                }
            }
            reports.append(report)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(reports.map(PairReport.init)))
        } else {
            for report in reports.map(PairReport.init) {
                print("\(report.pair): \(report.filled) of \(report.slots) slots filled from \(report.from) to \(report.to), \(report.unknown) unknown\(report.error.map { "; stopped: \($0)" } ?? "")")
            }
        }
        if reports.contains(where: { $0.storageFailure != nil }) { throw ExitStatus.exit(ExitStatus.storage) }
        if reports.contains(where: { $0.stoppedBy != nil && $0.filled == 0 && $0.slots > 0 }) {
            throw ExitStatus.exit(ExitStatus.noSample)
        }
    }
}

/// One self-overwriting status line on stderr, for terminals only.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let shown = Mutex(false)

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled else { return }
        shown.withLock { shown in
            Stderr.write("\r\u{1B}[K\(text)")
            shown = true
        }
    }

    func finish() {
        shown.withLock { shown in
            if shown { Stderr.write("\n") }
            shown = false
        }
    }
}
