import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Glibc
import Logging

/// One `btcrate collect`, whether started by the timer or by `btcrate run`:
/// take the lock, collect every pair, save the run record, pick the exit status.
struct CollectionRun {
    let context: AppContext
    let clock: any WallClock

    struct Result {
        let exitCode: Int32
        let record: RunRecord?
    }

    func perform(command: String) async -> Result {
        let logger = context.logger
        let configuration = context.configuration
        // Opening the lock and clearing a killed run's leftovers touch the disk: off
        // the cooperative threads too.
        let outcome = await Blocking.perform { () -> Swift.Result<StateLock, StateLock.Refused> in
            do throws(StateLock.Refused) {
                return .success(try StateLock.forWriting(stateDirectory: configuration.stateDirectory, logger: logger))
            } catch {
                return .failure(error)
            }
        }
        let lock: StateLock
        switch outcome {
        case .success(let taken): lock = taken
        case .failure(let refused): return Result(exitCode: refused.exitCode, record: nil)
        }
        defer { withExtendedLifetime(lock) {} }
        // Before any live sample: afterwards the slots a killed backfill meant to fill never could be.
        await PendingBackfills(context: context).complete(keepOnHistoryFailure: false)

        if context.keylessOnly {
            logger.notice("no Alpha Vantage key configured: collecting from keyless sources only (\(context.liveSources(clock: clock).map(\.id.displayName).joined(separator: ", ")))",
                          metadata: ["error_class": "no_key"])
        } else if let key = context.apiKey {
            logger.debug("Alpha Vantage key loaded", metadata: ["key_origin": "\(key.origin)"])
        }
        let started = clock.now()
        let collector = Collector(configuration: configuration, sources: context.liveSources(clock: clock),
                                  history: context.historySource, store: context.store, clock: clock, logger: logger)
        let outcomes = await collector.collectAll()
        let exitCode = Self.exitCode(for: outcomes)

        let store = RunRecordStore(stateDirectory: configuration.stateDirectory)
        let finished = clock.now(), keylessOnly = context.keylessOnly
        // Read and written (with fsync) on the pool for blocking calls: in `btcrate run`
        // the cooperative threads also serve the graph page.
        let record = await Blocking.perform {
            RunRecord(command: command, startedAt: started, finishedAt: finished, exitCode: exitCode,
                      keylessOnly: keylessOnly, outcomes: outcomes, previous: store.load())
        }
        do {
            try await Blocking.run { try store.save(record) }
        } catch {
            let reason = (error as? AtomicFile.WriteError).flatMap { DiskDiagnosis.explain($0.code, directory: configuration.stateDirectory) }
            logger.error("run record not saved: \(error)\(reason.map { ": \($0)" } ?? "")",
                         metadata: ["error_class": "storage_error", "path": "\(store.path)"])
            return Result(exitCode: ExitStatus.storage, record: record)
        }
        let written = outcomes.filter { $0.result == .written }.count
        let failed = outcomes.filter { !$0.gotSample }.count
        logger.info("collection run finished: \(written) written, \(outcomes.count - written - failed) already collected, \(failed) failed",
                    metadata: ["exit_code": "\(exitCode)", "pairs": "\(outcomes.count)"])
        return Result(exitCode: exitCode, record: record)
    }

    /// Storage failures outrank source failures: they need a person, not patience.
    static func exitCode(for outcomes: [PairOutcome]) -> Int32 {
        if outcomes.contains(where: { $0.errorClass == .storageError || $0.errorClass == .storageTimeout }) { return ExitStatus.storage }
        if outcomes.contains(where: { !$0.gotSample }) { return ExitStatus.noSample }
        return ExitStatus.success
    }
}
