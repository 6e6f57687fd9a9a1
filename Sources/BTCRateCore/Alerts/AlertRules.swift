import Foundation

/// The alert rules: pure functions from an observation to conditions. A rule
/// that cannot judge (no data to judge on) returns nothing for its key, which
/// leaves that alert's state as it is.
public struct AlertRules: Sendable {
    public let policy: AlertPolicy

    public init(policy: AlertPolicy) {
        self.policy = policy
    }

    /// Conditions for every alert the observation lets the rules judge.
    /// `active` is the set of alerts currently pending or firing, for hysteresis.
    public func evaluate(_ observation: Observation, active: Set<AlertKey>) -> [Condition] {
        var conditions: [Condition] = []
        for data in observation.pairs {
            let pair = "\(data.pair)"
            conditions.append(rateStale(data, observation))
            conditions.append(storageError(data))
            if let condition = collectorFailing(data) { conditions.append(condition) }
            if let condition = quotaExhausted(data) { conditions.append(condition) }
            if let condition = fallbackInUse(data, observation) { conditions.append(condition) }
            if let condition = priceMove(data, wasActive: active.contains(AlertKey(.priceMove, pair: pair))) { conditions.append(condition) }
            conditions += priceLevels(data, active: active)
            if let condition = spreadWide(data, wasActive: active.contains(AlertKey(.spreadWide, pair: pair))) { conditions.append(condition) }
            if let condition = flatline(data) { conditions.append(condition) }
        }
        if let condition = diskSpaceLow(observation, wasActive: active.contains(AlertKey(.diskSpaceLow))) { conditions.append(condition) }
        conditions.append(clockJump(observation))
        if let condition = graphServiceDown(observation) { conditions.append(condition) }
        if let condition = unitFailed(observation) { conditions.append(condition) }
        return conditions
    }

    /// Whether no rule evaluates `key` any more under this configuration: its pair
    /// was removed, or its check switched off. The engine forgets such alerts.
    public func isObsolete(_ key: AlertKey, pairs: [CurrencyPair], graphHealthChecked: Bool) -> Bool {
        if !key.pair.isEmpty && !pairs.contains(where: { "\($0)" == key.pair }) { return true }
        switch key.name {
        case .graphServiceDown: return !graphHealthChecked
        case .priceAbove: return policy.priceAbove == nil
        case .priceBelow: return policy.priceBelow == nil
        default: return false
        }
    }

    // MARK: the stack

    /// The time staleness counts from: the newest sample in the recent rows, else the
    /// file's last update (an outage longer than the rows read), else the run record's
    /// last success, else the slot before the watchdog started (nothing known yet).
    /// Never the watchdog's start alone when more is known, so a restart during a long
    /// outage does not resolve RateStale.
    func baseline(_ data: Observation.PairData, _ observation: Observation) -> Int {
        if let newest = data.newest?.time { return newest }
        if let last = data.lastUpdate { return last }
        if let success = data.run?.lastSuccess.flatMap(Timestamp.parse) { return Slot(containing: success).start }
        return Slot(containing: observation.watchingSince).previous.start
    }

    /// Slots missed since the newest sample, counting a slot once its grace has passed.
    func missedSlots(_ data: Observation.PairData, _ observation: Observation) -> (missed: Int, since: Int) {
        let newest = baseline(data, observation)
        let missed = max(0, (observation.now - policy.slotGrace - newest) / Slot.seconds)
        return (missed, newest)
    }

    /// When RateStale next changes severity for this data, so the watchdog can wake then.
    public func staleDeadlines(_ data: Observation.PairData, _ observation: Observation) -> [Int] {
        let newest = baseline(data, observation)
        return [policy.staleWarningSlots, policy.staleCriticalSlots].map { newest + $0 * Slot.seconds + policy.slotGrace }
    }

    func rateStale(_ data: Observation.PairData, _ observation: Observation) -> Condition {
        let (missed, newest) = missedSlots(data, observation)
        let severity: Severity = missed >= policy.staleCriticalSlots ? .critical : .warning
        let age = observation.now - newest
        return Condition(
            key: AlertKey(.rateStale, pair: "\(data.pair)"), active: missed >= policy.staleWarningSlots, severity: severity,
            summary: "\(data.pair): no new sample for \(age / 60) minutes (\(missed) slots missed)",
            description: "The newest \(data.pair) sample is for \(Timestamp.iso8601(newest)). Likely cause: the collector timer is not running, or every source fails. Next step: systemctl status btcrate-collector.timer; journalctl -u btcrate-collector -p warning.",
            value: "\(missed)", threshold: "\(severity == .critical ? policy.staleCriticalSlots : policy.staleWarningSlots)")
    }

    func storageError(_ data: Observation.PairData) -> Condition {
        Condition(
            key: AlertKey(.storageError, pair: "\(data.pair)"), active: data.fileError != nil, severity: .critical,
            summary: "\(data.pair): the RRD file cannot be read",
            description: "librrd says: \(data.fileError ?? "-"). Likely cause: a corrupt, truncated or unreadable file. Next step: check the file's owner and mode; restore it from a backup with rrdtool restore.",
            value: data.fileError)
    }

    func collectorFailing(_ data: Observation.PairData) -> Condition? {
        guard let run = data.run else { return nil }
        let failing = run.consecutiveFailures >= policy.collectorFailures
        let errorClass = run.errorClass?.rawValue ?? "unknown"
        return Condition(
            key: AlertKey(.collectorFailing, pair: "\(data.pair)"), active: failing, severity: .warning,
            summary: "\(data.pair): \(run.consecutiveFailures) collection runs in a row failed (\(errorClass))",
            description: "The last run said: \(run.error ?? "-"). Likely cause: every source refused or failed (see error_class). Next step: journalctl -u btcrate-collector BTCRATE_PAIR=\(data.pair).",
            value: errorClass, threshold: "\(policy.collectorFailures)")
    }

    func quotaExhausted(_ data: Observation.PairData) -> Condition? {
        guard let run = data.run, run.result != .alreadyCollected else { return nil }
        let hit = run.attempts.contains { $0.source == .alphavantage && $0.errorClass == .quotaExhausted }
        return Condition(
            key: AlertKey(.quotaExhausted, pair: "\(data.pair)"), active: hit, severity: .warning,
            summary: "\(data.pair): the Alpha Vantage daily quota is used up",
            description: "The free key allows 25 requests a day; a 10-minute cadence needs 144. Keyless sources take over meanwhile. Next step: install a premium key as the alphavantage-api-key credential, or accept the fallback.",
            value: "quota_exhausted")
    }

    func fallbackInUse(_ data: Observation.PairData, _ observation: Observation) -> Condition? {
        guard let run = data.run, run.result == .written, let source = run.source else { return nil }
        let preferred = observation.sources.first { $0 != .alphavantage || observation.hasAlphaVantageKey }
        return Condition(
            key: AlertKey(.fallbackInUse, pair: "\(data.pair)"), active: source != observation.sources.first, severity: .info,
            summary: "\(data.pair): samples come from \(source.displayName), a fallback source",
            description: observation.hasAlphaVantageKey || !observation.sources.contains(.alphavantage)
                ? "The preferred source \(observation.sources.first?.displayName ?? "-") gave no usable quote. Next step: look for its error class in journalctl -u btcrate-collector."
                : "No Alpha Vantage key is configured, so the keyless sources are used (first: \(preferred?.displayName ?? "-")). Next step: install a key as the alphavantage-api-key credential, or remove alphavantage from collector.sources.",
            value: source.rawValue)
    }

    func diskSpaceLow(_ observation: Observation, wasActive: Bool) -> Condition? {
        guard let free = observation.diskFreeFraction else { return nil }
        let limit = wasActive ? policy.diskFree + 0.02 : policy.diskFree
        let severity: Severity = free < policy.diskFree / 2 ? .critical : .warning
        let megabytes = (observation.diskFreeBytes ?? 0) / 1_048_576
        return Condition(
            key: AlertKey(.diskSpaceLow), active: free < limit, severity: severity,
            summary: "the state directory's filesystem has \(String(format: "%.1f", free * 100)) % free (\(megabytes) MiB)",
            description: "RRD files are preallocated, but the run record and new pairs need room, and a full disk stops every write. Next step: free space on that filesystem (df -h /var/lib/btcrate).",
            value: String(format: "%.3f", free), threshold: String(format: "%.3f", policy.diskFree))
    }

    func clockJump(_ observation: Observation) -> Condition {
        let recent = observation.clockJump.flatMap { jump in
            abs(jump.seconds) > policy.clockJumpTolerance && observation.now - jump.at < policy.clockJumpHold ? jump : nil
        }
        let direction = (recent?.seconds ?? 0) < 0 ? "backwards" : "forwards"
        return Condition(
            key: AlertKey(.clockJump), active: recent != nil, severity: .warning,
            summary: "the wall clock jumped \(direction) by \(abs(recent?.seconds ?? 0)) s",
            description: "Samples are aligned to the wall clock: a clock that moves backwards makes runs no-ops; one that leaps skips slots. Next step: timedatectl; check NTP (systemd-timesyncd or chrony).",
            value: "\(recent?.seconds ?? 0)", threshold: "\(policy.clockJumpTolerance)")
    }

    func graphServiceDown(_ observation: Observation) -> Condition? {
        guard let state = observation.graphService else { return nil }
        var reason = ""
        if case .down(let text) = state { reason = text }
        return Condition(
            key: AlertKey(.graphServiceDown), active: state != .up, severity: .warning,
            summary: "the graph service does not answer /healthz",
            description: "It said: \(reason). Next step: systemctl status btcrate-graph; journalctl -u btcrate-graph.",
            value: reason)
    }

    func unitFailed(_ observation: Observation) -> Condition? {
        guard let units = observation.units else { return nil }
        let bad = units.filter { unit in
            if unit.name.hasSuffix(".timer") { return unit.activeState != "active" }
            // A collector run that got no sample (exit 69) leaves its oneshot unit
            // "failed" until the next run: that is CollectorFailing's business, with the
            // error class from the run record. Any other failure (a configuration error,
            // 78, writes no run record; a crash, a hang) is UnitFailed's.
            if unit.name == "btcrate-collector.service", unit.result == "exit-code", unit.exitStatus == 69 { return false }
            return unit.activeState == "failed"
        }
        let names = bad.map { "\($0.name) (\($0.activeState)\($0.result.map { ", \($0)" } ?? ""))" }
        return Condition(
            key: AlertKey(.unitFailed), active: !bad.isEmpty, severity: .critical,
            summary: "btcrate units not running: \(names.joined(separator: ", "))",
            description: "A failed unit does not restart by itself once its restart limit is hit, and an inactive timer collects nothing. Next step: systemctl status \(bad.map(\.name).joined(separator: " ")); systemctl reset-failed and start them.",
            value: bad.map(\.name).joined(separator: ","))
    }

    // MARK: the data

    func priceMove(_ data: Observation.PairData, wasActive: Bool) -> Condition? {
        guard let newest = data.newest, let rate = newest.rate,
              let earlier = data.recent.first(where: { $0.rate != nil && $0.time >= newest.time - policy.priceMoveWindow }),
              let before = earlier.rate, earlier.time < newest.time, before > 0 else { return nil }
        let change = (rate - before) / before
        let limit = wasActive ? policy.priceMove * (1 - policy.hysteresis) : policy.priceMove
        let minutes = (newest.time - earlier.time) / 60
        return Condition(
            key: AlertKey(.priceMove, pair: "\(data.pair)"), active: abs(change) >= limit, severity: .warning,
            summary: "\(data.pair) moved \(String(format: "%+.1f", change * 100)) % in \(minutes) minutes (to \(rate))",
            description: "The rate changed by more than \(String(format: "%.0f", policy.priceMove * 100)) % within \(policy.priceMoveWindow / 60) minutes. It is the market, or a bad source: compare the sources in the journal (BTCRATE_SOURCE).",
            value: String(format: "%.4f", change), threshold: String(format: "%.4f", policy.priceMove))
    }

    func priceLevels(_ data: Observation.PairData, active: Set<AlertKey>) -> [Condition] {
        guard let rate = data.newest?.rate else { return [] }
        var conditions: [Condition] = []
        if let line = policy.priceAbove {
            let key = AlertKey(.priceAbove, pair: "\(data.pair)")
            let limit = active.contains(key) ? line * (1 - policy.priceHysteresis) : line
            conditions.append(Condition(key: key, active: rate > limit, severity: .info,
                                        summary: "\(data.pair) is above \(line): \(rate)",
                                        description: "The threshold alerts.price_above was crossed upwards.",
                                        value: "\(rate)", threshold: "\(line)"))
        }
        if let line = policy.priceBelow {
            let key = AlertKey(.priceBelow, pair: "\(data.pair)")
            let limit = active.contains(key) ? line * (1 + policy.priceHysteresis) : line
            conditions.append(Condition(key: key, active: rate < limit, severity: .info,
                                        summary: "\(data.pair) is below \(line): \(rate)",
                                        description: "The threshold alerts.price_below was crossed downwards.",
                                        value: "\(rate)", threshold: "\(line)"))
        }
        return conditions
    }

    func spreadWide(_ data: Observation.PairData, wasActive: Bool) -> Condition? {
        // The newest sample only: an old wide spread says nothing about the market now.
        guard let row = data.newest, let rate = row.rate, rate > 0 else { return nil }
        guard let bid = row.bid, let ask = row.ask else {
            // The newest source quotes no sides: nothing wide to see any more.
            return Condition(key: AlertKey(.spreadWide, pair: "\(data.pair)"), active: false, severity: .warning,
                             summary: "\(data.pair): the newest sample has no bid/ask", description: "")
        }
        let spread = (ask - bid) / rate
        let limit = wasActive ? policy.spread * (1 - policy.hysteresis) : policy.spread
        return Condition(
            key: AlertKey(.spreadWide, pair: "\(data.pair)"), active: spread >= limit, severity: .warning,
            summary: "\(data.pair) spread is \(String(format: "%.2f", spread * 100)) % (bid \(bid), ask \(ask))",
            description: "A wide spread means a thin or disorderly market, or a source quoting stale sides. Next step: compare with another source before trusting the rate.",
            value: String(format: "%.4f", spread), threshold: String(format: "%.4f", policy.spread))
    }

    func flatline(_ data: Observation.PairData) -> Condition? {
        let known = data.recent.compactMap { row in row.rate.map { (row.time, $0) } }
        guard known.count >= policy.flatlineSlots else { return nil }
        let tail = known.suffix(policy.flatlineSlots)
        let contiguous = tail.last!.0 - tail.first!.0 == (policy.flatlineSlots - 1) * Slot.seconds
        let frozen = contiguous && Set(tail.map(\.1)).count == 1
        return Condition(
            key: AlertKey(.flatline, pair: "\(data.pair)"), active: frozen, severity: .warning,
            summary: "\(data.pair) has repeated \(tail.last!.1) for \(policy.flatlineSlots) slots",
            description: "A real market never prints the very same rate for an hour: a source is frozen or serving a cache. Next step: see which source wrote the samples (BTCRATE_SOURCE) and move it down collector.sources.",
            value: "\(tail.last!.1)", threshold: "\(policy.flatlineSlots)")
    }
}
