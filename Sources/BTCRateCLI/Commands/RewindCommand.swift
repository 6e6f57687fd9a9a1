import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc
import BTCRateGraph
import LibRRD

/// `btcrate rewind PAIR --to TIME`: the way out after a clock fault.
struct RewindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewind",
        abstract: "Drop a pair's samples after a time: the way out after the clock was wrong.",
        discussion: """
            A clock that was ahead writes samples into future slots, and an RRD file accepts nothing \
            older than its newest sample, so collection then fails with clock_behind until the clock \
            passes them. rewind rebuilds the pair's file without the samples after TIME and keeps \
            everything up to it (every archive, the hourly and daily ones included). It works on a copy \
            that replaces the file atomically (same owner and mode), holds the state directory lock, \
            and, with rrdcached, flushes the file first and makes the daemon forget it after. The next \
            collection run repairs the slots between the newest kept sample and now from history. \
            --dry-run says what would go and changes nothing.

            TIME: now, a time before now (-90m, -6h, -3d), Unix seconds, or ISO 8601 UTC \
            (2026-12-02T10:00:00Z). Samples in slots after the slot holding TIME are dropped.

            Exit codes: 0 done (or nothing to drop); 64 usage error; 66 the pair has no RRD file; \
            73 storage failure (storage_error, storage_timeout); 75 another run holds the lock; \
            78 configuration error.
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("The pair whose file to rewind, e.g. BTC-USD.", valueName: "PAIR"))
    var pair: String

    // Unconditional: a relative TIME starts with a dash (--to -6h), which would
    // otherwise be read as an option.
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Keep the samples up to this time, drop the ones after it.", valueName: "TIME"))
    var to: String

    @Flag(name: .long, help: "Say what would be dropped; change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        do { _ = try CurrencyPair(parsing: pair) } catch { throw ValidationError(error.description) }
        guard Self.parseTime(to, now: 0) != nil else {
            throw ValidationError("--to '\(to)' is not now, a time before now (-6h, -3d), Unix seconds or ISO 8601 UTC (2026-12-02T10:00:00Z)")
        }
    }

    /// The forms `--to` accepts, resolved against `now`.
    static func parseTime(_ text: String, now: Int) -> Int? {
        if let iso = Timestamp.parse(text) { return iso }
        guard let spec = TimeSpec(parsing: text), spec != .first else { return nil }
        return spec.resolve(now: now)
    }

    struct Result: Encodable {
        let pair: String
        let to: String
        let dryRun: Bool
        let droppedSamples: Int
        let firstDropped: String?
        let lastDropped: String?
        let lastUpdateBefore: String
        let lastUpdateAfter: String
    }

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "rewind")
        let configuration = context.configuration
        let logger = context.logger
        let pair = try CurrencyPair(parsing: self.pair)
        let lock: StateLock
        do {
            lock = try StateLock.forWriting(stateDirectory: configuration.stateDirectory, logger: logger)
        } catch {
            throw ExitStatus.exit(error.exitCode)
        }
        defer { withExtendedLifetime(lock) {} }

        let location = configuration.storage(for: pair)
        guard !location.isRemote else {
            logger.error("\(pair) is stored on rrdcached at \(location.address ?? "") (TCP): rewind rewrites the file itself, so run it on the storage host, with the daemon's directory as the state directory",
                         metadata: ["pair": "\(pair)", "error_class": "config"])
            throw ExitStatus.exit(ExitStatus.config)
        }
        let file = RRDFile(path: location.path)
        guard file.exists else {
            logger.error("\(pair) has no RRD file (\(file.path)): nothing to rewind", metadata: ["pair": "\(pair)"])
            throw ExitStatus.exit(ExitStatus.noInput)
        }
        let cache = configuration.rrdcachedClient(for: pair)
        let plan: RewindPlan
        do {
            try await cache?.flush(file: file)
            plan = try Self.plan(file, keepingUpTo: Self.parseTime(to, now: Int(Date().timeIntervalSince1970))!,
                                 window: configuration.gapRepairMaxDays * 86_400)
        } catch {
            Self.fail(error, pair: pair, context: context, doing: "read")
        }
        let result = Result(pair: "\(pair)", to: Timestamp.iso8601(plan.cut), dryRun: dryRun,
                            droppedSamples: plan.dropped.count,
                            firstDropped: plan.dropped.first.map(Timestamp.iso8601), lastDropped: plan.dropped.last.map(Timestamp.iso8601),
                            lastUpdateBefore: Timestamp.iso8601(plan.lastUpdate),
                            lastUpdateAfter: Timestamp.iso8601(plan.isNoOp ? plan.lastUpdate : plan.newLastUpdate))
        if !plan.isNoOp && !dryRun {
            do {
                try file.rewind(to: plan.newLastUpdate)
                // The daemon still believes in the old last update and would refuse the next row.
                try cache?.forget(file: file)
            } catch {
                Self.fail(error, pair: pair, context: context, doing: "rewind")
            }
            logger.notice("rewound \(pair): dropped \(plan.dropped.count) samples after \(result.to); the file now ends at \(result.lastUpdateAfter)", metadata: [
                "pair": "\(pair)", "dropped_samples": "\(plan.dropped.count)", "slot": "\(result.lastUpdateAfter)",
            ])
        }
        if json {
            print(try JSONOutput.encode(result))
        } else {
            print(Self.sentence(result, noOp: plan.isNoOp))
        }
    }

    /// Reads the 10-minute rows the plan needs: back as far as gap repair reaches, and every slot after the cut.
    static func plan(_ file: RRDFile, keepingUpTo time: Int, window: Int) throws -> RewindPlan {
        let last = try file.last()
        let cut = Slot(containing: time).start
        var rows: [(time: Int, rate: Double?)] = []
        // Two reads, so that each picks the finest archive for its own span.
        for (start, end) in [(cut - window, min(cut, last)), (cut, last)] where end > start {
            let series = try file.fetch(consolidation: "AVERAGE", start: start - Slot.seconds, end: end, resolution: Slot.seconds)
            let newest = rows.last?.time ?? Int.min
            let fresh = series.column("rate").filter { $0.time >= start && $0.time <= end && $0.time > newest }
            rows.append(contentsOf: fresh.map { (time: $0.time, rate: $0.value.isNaN ? nil : $0.value) })
        }
        return RewindPlan(rows: rows, lastUpdate: last, keepingUpTo: time, window: window)
    }

    static func sentence(_ result: Result, noOp: Bool) -> String {
        if noOp {
            return "\(result.pair): nothing after \(result.to); the file ends at \(result.lastUpdateBefore) and stays as it is"
        }
        let range = result.firstDropped.map { " (\($0) to \(result.lastDropped!))" } ?? ""
        let verb = result.dryRun ? "would drop" : "dropped"
        let end = result.dryRun ? "would end" : "now ends"
        return "\(result.pair): \(verb) \(result.droppedSamples) sample\(result.droppedSamples == 1 ? "" : "s") after \(result.to)\(range); the file \(end) at \(result.lastUpdateAfter) (it ended at \(result.lastUpdateBefore))"
    }

    static func fail(_ error: any Error, pair: CurrencyPair, context: AppContext, doing: String) -> Never {
        let rrd = error as? RRDError
        let reason = rrd.flatMap { $0.isOutOfSpace ? DiskDiagnosis.explain(ENOSPC, directory: context.configuration.stateDirectory) : nil }
        context.logger.error("cannot \(doing) \(pair)'s RRD file: \(error)\(reason.map { ": \($0)" } ?? "")", metadata: [
            "pair": "\(pair)", "error_class": rrd?.timedOut == true ? "storage_timeout" : "storage_error",
        ])
        Glibc.exit(ExitStatus.storage)
    }
}
