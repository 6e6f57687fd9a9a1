import ArgumentParser
import BTCRateCore
import Foundation
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
            Progress is shown on a terminal. Takes the same lock as collect: a timer run during a backfill \
            waits for the next slot and then repairs its own gap.

            Exit codes: 0 done; 69 the history source failed; 73 storage failure; 75 locked; 78 configuration error.
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
    }

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "backfill")
        try context.prepareStateDirectory()
        let configuration = context.configuration
        let pairs = try pair.isEmpty ? configuration.pairs : pair.map { try CurrencyPair(parsing: $0) }
        let lock: StateLock
        do {
            lock = try StateLock.acquire(stateDirectory: configuration.stateDirectory)
        } catch .busy {
            context.logger.error("another collection or backfill holds the state directory lock", metadata: ["error_class": "busy"])
            throw ExitStatus.exit(ExitStatus.busy)
        } catch {
            context.logger.error("cannot lock the state directory: \(error)", metadata: ["error_class": "storage_error"])
            throw ExitStatus.exit(ExitStatus.storage)
        }
        defer { withExtendedLifetime(lock) {} }

        let clock = SystemClock()
        let current = Slot(containing: clock.now().timeIntervalSince1970)
        let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
        var reports: [PairReport] = []
        var exitCode = ExitStatus.success
        for pair in pairs {
            let report = await backfill(pair, current: current, context: context, progress: progress)
            if report.error != nil {
                exitCode = max(exitCode, report.filled == 0 && report.slots > 0 ? ExitStatus.noSample : exitCode)
            }
            reports.append(report)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(reports))
        } else {
            for report in reports {
                print("\(report.pair): \(report.filled) of \(report.slots) slots filled from \(report.from) to \(report.to), \(report.unknown) unknown\(report.error.map { "; stopped: \($0)" } ?? "")")
            }
        }
        if reports.contains(where: { $0.error?.hasPrefix("storage") == true }) { exitCode = ExitStatus.storage }
        if exitCode != ExitStatus.success { throw ExitStatus.exit(exitCode) }
    }

    private func backfill(_ pair: CurrencyPair, current: Slot, context: AppContext, progress: ProgressLine) async -> PairReport {
        let store = context.store
        let logger = context.logger
        let firstWanted = current.start - days * 86_400
        var from = firstWanted
        let to = current.previous.start
        var previous = Slot(containing: firstWanted).previous
        do {
            if let last = try store.lastSample(of: pair) {
                from = max(firstWanted, last.slot.start + Slot.seconds)
                previous = last.slot
            } else {
                try store.create(pair, firstSlot: Slot(containing: firstWanted))
                logger.notice("created RRD file for backfill", metadata: ["pair": "\(pair)"])
            }
        } catch {
            return PairReport(pair: "\(pair)", from: Timestamp.iso8601(from), to: Timestamp.iso8601(to), slots: 0,
                              filled: 0, unknown: 0, error: "storage: \(error.message)")
        }
        guard from <= to else {
            return PairReport(pair: "\(pair)", from: Timestamp.iso8601(from), to: Timestamp.iso8601(to), slots: 0,
                              filled: 0, unknown: 0, error: nil)
        }
        let slots = (to - from) / Slot.seconds + 1
        let repairer = GapRepairer(history: context.historySource, store: store,
                                   validator: QuoteValidator(policy: context.configuration.policy(for: pair)), logger: logger)
        let label = "\(pair)"
        do {
            let result = try await repairer.fill(pair, after: previous, slots: from...to) { step in
                progress.show("\(label): page \(step.pagesDone)/\(step.pagesTotal), \(step.slotsFilled) of \(slots) slots filled")
            }
            logger.info("backfill of \(pair) filled \(result.filled) of \(slots) slots", metadata: [
                "pair": "\(pair)", "filled_slots": "\(result.filled)", "source": "bitstamp",
            ])
            return PairReport(pair: label, from: Timestamp.iso8601(from), to: Timestamp.iso8601(to), slots: slots,
                              filled: result.filled, unknown: slots - result.filled,
                              error: result.stoppedBy.map { "\($0.kind.rawValue): \($0.detail)" })
        } catch {
            logger.error("backfill of \(pair) could not write: \(error.message)", metadata: ["pair": "\(pair)", "error_class": "storage_error"])
            return PairReport(pair: label, from: Timestamp.iso8601(from), to: Timestamp.iso8601(to), slots: slots,
                              filled: 0, unknown: slots, error: "storage: \(error.message)")
        }
    }
}

/// One self-overwriting status line on stderr, for terminals only.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled else { return }
        lock.withLock {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            shown = true
        }
    }

    func finish() {
        lock.withLock {
            if shown { FileHandle.standardError.write(Data("\n".utf8)) }
            shown = false
        }
    }
}
