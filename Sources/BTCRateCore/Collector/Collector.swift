import FoundationEssentials
import Glibc
import Logging

/// One collection run: for each pair, repair any gap, fetch a validated quote
/// from the first source that gives one, and write it to the pair's slot.
public struct Collector: Sendable {
    let configuration: Configuration
    let sources: [any PriceSource]
    let history: (any HistorySource)?
    let store: any SampleStore
    let clock: any WallClock
    let logger: Logger

    public init(configuration: Configuration, sources: [any PriceSource], history: (any HistorySource)?,
                store: any SampleStore, clock: any WallClock, logger: Logger) {
        self.configuration = configuration
        self.sources = sources
        self.history = history
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// Collects every configured pair, at most `configuration.concurrency` at a time.
    /// Results come back in the configured pair order.
    public func collectAll() async -> [PairOutcome] {
        let pairs = configuration.pairs
        let limit = max(1, configuration.concurrency)
        var results = [PairOutcome?](repeating: nil, count: pairs.count)
        await withTaskGroup(of: (Int, PairOutcome).self) { group in
            var next = 0
            while next < min(limit, pairs.count) {
                let index = next
                group.addTask { (index, await self.collect(pairs[index])) }
                next += 1
            }
            // Each finished pair makes room for the next one: never more than `limit` in flight.
            while let (index, outcome) = await group.next() {
                results[index] = outcome
                if next < pairs.count {
                    let index = next
                    group.addTask { (index, await self.collect(pairs[index])) }
                    next += 1
                }
            }
        }
        return results.compactMap { $0 }
    }

    /// Collects one pair. Never throws: every failure is an outcome with a class.
    public func collect(_ pair: CurrencyPair) async -> PairOutcome {
        let started = clock.now()
        let slot = Slot(containing: started.timeIntervalSince1970)
        var outcome = await collect(pair, slot: slot, now: started)
        outcome.durationSeconds = max(0, clock.now().timeIntervalSince(started))
        log(outcome)
        return outcome
    }

    private func collect(_ pair: CurrencyPair, slot: Slot, now: Date) async -> PairOutcome {
        var outcome = PairOutcome(pair: pair, slot: slot, result: .failed)
        let validator = QuoteValidator(policy: configuration.policy(for: pair))
        let store = self.store

        // 1. Where the file stands. A missing file is created only once a quote
        // has passed validation (step 5): a file created under a wrong clock
        // would start in the wrong slot and block every later run.
        var last: StoredSample?
        do {
            last = try await offload { () throws(StorageFailure) in try store.lastSample(of: pair) }
        } catch {
            return failed(outcome, error.asFetchFailure)
        }

        // 2. Nothing to do if this slot is stored. A later slot stored is a failure,
        // not a no-op: the clock is behind now, or was ahead when that sample was
        // written, and either way no sample can be written until someone acts or
        // the clock passes it (the unit fails; the watchdog alerts).
        if let last, last.slot > slot {
            return failed(outcome, FetchFailure(.clockBehind, source: nil, detail: Self.clockBehind(pair, stored: last.slot, current: slot)))
        }
        if let last, last.slot == slot {
            outcome.result = .alreadyCollected
            return outcome
        }

        // 3. Repair the slots missed since the last sample, before the live one;
        // only when some source gives a valid quote now. Under a wrong clock
        // every quote is refused (clock_skew), and the gap it seems to see is not real.
        var answers = QuoteCache(sources: sources, pair: pair)
        if let previous = last, let history, configuration.gapRepair,
           await answers.anyValid(validator: validator, now: now) {
            let missed = previous.slot.slotsBetween(slot)
            let window = configuration.gapRepairMaxDays * 86_400
            if let first = missed.first(where: { $0.start >= slot.start - window }), let lastMissed = missed.last {
                let repairer = GapRepairer(history: history, store: store, validator: validator, logger: logger)
                let report: GapRepairer.Report
                do {
                    report = try await repairer.fill(pair, after: previous.slot, slots: first.start...lastMissed.start)
                } catch {
                    return failed(outcome, error.asFetchFailure)
                }
                outcome.repairedSlots = report.filled
                logger.info("repaired gap of \(missed.count) slots: \(outcome.repairedSlots) filled from history, \(missed.count - outcome.repairedSlots) left unknown", metadata: [
                    "pair": "\(pair)", "source": "\(history.id)", "missed_slots": "\(missed.count)",
                    "filled_slots": "\(outcome.repairedSlots)",
                ])
                if let written = report.lastWritten {
                    last = StoredSample(slot: written, rate: report.lastRate)
                }
            }
        }

        // 4. A validated quote from the first source that has one.
        let reference = last.flatMap { sample -> Double? in
            Double(slot.start - sample.slot.start) <= validator.policy.jumpWindow ? sample.rate : nil
        }
        for index in sources.indices {
            let quote: Quote
            switch await answers.quote(at: index) {
            case .failure(let failure):
                outcome.attempts.append(.init(source: failure.source ?? sources[index].id, errorClass: failure.kind, detail: failure.detail))
                continue
            case .success(let answer):
                quote = answer
            }
            do {
                try validator.check(quote, now: now)
            } catch {
                outcome.attempts.append(.init(source: quote.source, errorClass: error.kind, detail: error.detail))
                continue
            }
            if validator.isJump(from: reference, to: quote.rate) {
                guard let confirmer = await answers.confirmation(of: quote, after: index, validator: validator, now: now) else {
                    let percent = Format.fixed(abs(quote.rate - reference!) / reference! * 100, 1)
                    outcome.attempts.append(.init(source: quote.source, errorClass: .unconfirmedJump,
                                                  detail: "\(quote.rate) is \(percent) % from the stored \(reference!); no other source confirmed it"))
                    continue
                }
                outcome.confirmedBy = confirmer
            }
            // 5. Write, creating the file first if this is the pair's first sample.
            if last == nil {
                do {
                    try await offload { () throws(StorageFailure) in try store.create(pair, firstSlot: slot) }
                } catch {
                    return failed(outcome, FetchFailure(error.kind, source: quote.source, detail: error.message))
                }
                logger.notice("created RRD file", metadata: ["pair": "\(pair)", "path": "\(configuration.storage(for: pair).path)", "storage": "\(configuration.storage(for: pair))"])
            }
            let rows = RRDLayout.rows([(slot: slot, rate: quote.rate, bid: quote.bid, ask: quote.ask)],
                                      after: last?.slot ?? slot.previous)
            do {
                try await offload { () throws(StorageFailure) in try store.append(rows, to: pair) }
            } catch where error.isNotNewer {
                outcome.result = .alreadyCollected
                outcome.error = "another writer stored this slot first"
                return outcome
            } catch {
                return failed(outcome, FetchFailure(error.kind, source: quote.source, detail: error.message))
            }
            outcome.result = .written
            outcome.source = quote.source
            outcome.rate = quote.rate
            outcome.bid = quote.bid
            outcome.ask = quote.ask
            return outcome
        }

        // Nothing usable: the most telling class is the last attempt's.
        let final = outcome.attempts.last
        return failed(outcome, FetchFailure(final?.errorClass ?? .connectionFailed, source: final?.source,
                                            detail: "no source gave a usable quote"))
    }

    /// What `clock_behind` tells the operator: both slots, and the two ways out.
    static func clockBehind(_ pair: CurrencyPair, stored: Slot, current: Slot) -> String {
        let ahead = (stored.start - current.start) / Slot.seconds
        return "the file's newest sample is for \(stored), \(ahead) slot\(ahead == 1 ? "" : "s") (\(Timestamp.span(stored.start - current.start))) "
            + "after the current slot \(current): this machine's clock is behind, or was ahead when that sample was written. "
            + "Check the clock (timedatectl status); to drop the samples from the future, run `btcrate rewind \(pair) --to now`"
    }

    private func failed(_ outcome: PairOutcome, _ failure: FetchFailure) -> PairOutcome {
        var copy = outcome
        copy.result = .failed
        copy.errorClass = failure.kind
        copy.error = failure.detail
        return copy
    }

    /// One journal entry per attempt that failed, then one for the outcome.
    private func log(_ outcome: PairOutcome) {
        let pair = "\(outcome.pair)"
        for attempt in outcome.attempts {
            guard let kind = attempt.errorClass else { continue }
            let failure = FetchFailure(kind, source: attempt.source, detail: attempt.detail ?? "")
            let level: Logger.Level = kind == .noKey ? .debug : .warning
            logger.log(level: level, "\(failure.summary): \(failure.detail)", metadata: [
                "pair": "\(pair)", "source": "\(attempt.source)", "error_class": "\(kind.rawValue)",
            ])
        }
        var metadata: Logger.Metadata = [
            "pair": "\(pair)", "slot": "\(outcome.slot)", "result": "\(outcome.result.rawValue)",
            "duration_ms": "\(Int(outcome.durationSeconds * 1000))",
        ]
        switch outcome.result {
        case .written:
            metadata["source"] = "\(outcome.source!)"
            metadata["rate"] = "\(outcome.rate!)"
            if let confirmer = outcome.confirmedBy { metadata["confirmed_by"] = "\(confirmer)" }
            if outcome.repairedSlots > 0 { metadata["filled_slots"] = "\(outcome.repairedSlots)" }
            let fallback = outcome.source != sources.first?.id ? " (fallback source)" : ""
            logger.info("stored \(pair) \(outcome.rate!) from \(outcome.source!.displayName)\(fallback) for slot \(outcome.slot)", metadata: metadata)
        case .alreadyCollected:
            logger.info("slot \(outcome.slot) of \(pair) already has a sample; nothing to do\(outcome.error.map { " (\($0))" } ?? "")", metadata: metadata)
        case .failed:
            metadata["error_class"] = "\(outcome.errorClass!.rawValue)"
            if outcome.repairedSlots > 0 { metadata["filled_slots"] = "\(outcome.repairedSlots)" }
            // A clock that is behind heals itself once it passes the stored sample: a warning.
            let level: Logger.Level = outcome.errorClass == .clockBehind ? .warning : .error
            logger.log(level: level, "no sample for \(pair) in slot \(outcome.slot): \(outcome.error ?? "")", metadata: metadata)
        }
    }
}
