import FoundationEssentials
import Glibc

/// The alert rules: pure functions from an observation to conditions. A rule
/// that cannot judge (no data to judge on) returns nothing for its key, which
/// leaves that alert's state as it is.
public struct AlertRules: Sendable {
    public let policy: AlertPolicy

    public init(policy: AlertPolicy) {
        self.policy = policy
    }

    /// Conditions for every alert the observation lets the rules judge.
    /// `firing`: the alerts firing now and their severities, for hysteresis, which
    /// applies to firing alerts only (a pending one needs its condition plainly true).
    public func evaluate(_ observation: Observation, firing: [AlertKey: Severity]) -> [Condition] {
        var conditions: [Condition] = []
        for data in observation.pairs {
            let pair = "\(data.pair)"
            func isFiring(_ name: AlertName) -> Bool { firing[AlertKey(name, pair: pair)] != nil }
            conditions.append(rateStale(data, observation))
            conditions.append(storageError(data))
            if let condition = collectorFailing(data) { conditions.append(condition) }
            if let condition = quotaExhausted(data) { conditions.append(condition) }
            if let condition = fallbackInUse(data, observation) { conditions.append(condition) }
            conditions.append(clockSkew(data, observation))
            // The data alerts judge samples; once the newest is older than what a rule
            // looks at, it resolves (saying so) and RateStale speaks for the outage.
            if let missing = dataMissing(data, observation, window: policy.priceMoveWindow) {
                conditions.append(missing(.priceMove))
            } else if let condition = priceMove(data, wasFiring: isFiring(.priceMove)) { conditions.append(condition) }
            if let missing = dataMissing(data, observation, window: 0) {
                conditions += [missing(.spreadWide), missing(.priceAbove), missing(.priceBelow)]
            } else {
                conditions += priceLevels(data, firing: firing)
                if let condition = spreadWide(data, wasFiring: isFiring(.spreadWide)) { conditions.append(condition) }
            }
            if let missing = dataMissing(data, observation, window: policy.flatlineSlots * Slot.seconds) {
                conditions.append(missing(.flatline))
            } else if let condition = flatline(data) { conditions.append(condition) }
        }
        if let condition = diskSpaceLow(observation, firingAt: firing[AlertKey(.diskSpaceLow)]) { conditions.append(condition) }
        conditions.append(clockJump(observation))
        if let condition = clockNotSynchronised(observation) { conditions.append(condition) }
        if let condition = graphServiceDown(observation) { conditions.append(condition) }
        if let condition = unitFailed(observation, firingAt: firing[AlertKey(.unitFailed)]) { conditions.append(condition) }
        if let condition = notificationsFailing(observation) { conditions.append(condition) }
        return conditions
    }

    /// Why no rule evaluates `key` any more under this configuration (its pair was
    /// removed, its check switched off), or nil while one still does. The engine
    /// resolves such alerts with this reason.
    public func obsolescence(_ key: AlertKey, pairs: [CurrencyPair], graphHealthChecked: Bool) -> String? {
        if !key.pair.isEmpty && !pairs.contains(where: { "\($0)" == key.pair }) { return "\(key.pair) is no longer in collector.pairs" }
        switch key.name {
        case .graphServiceDown: return graphHealthChecked ? nil : "watchdog.graph_url is off"
        case .priceAbove: return policy.priceAbove == nil ? "alerts.price_above is off" : nil
        case .priceBelow: return policy.priceBelow == nil ? "alerts.price_below is off" : nil
        default: return nil
        }
    }

    /// When the newest sample is older than `window` (and than the point where
    /// RateStale warns, so that one of them always speaks): a maker of the inactive
    /// condition, with a note for the resolved entry. Nil while the data is there.
    func dataMissing(_ data: Observation.PairData, _ observation: Observation, window: Int) -> ((AlertName) -> Condition)? {
        let limit = max(window, policy.staleWarningSlots * Slot.seconds + policy.slotGrace)
        let newest = data.newest?.time
        if let newest, observation.now - newest <= limit { return nil }
        let note = newest.map { "its data is missing: the newest \(data.pair) sample is \((observation.now - $0) / 60) minutes old" }
            ?? "its data is missing: \(data.pair) has no recent sample"
        return { name in
            Condition(key: AlertKey(name, pair: "\(data.pair)"), active: false, severity: .warning,
                      summary: note, description: "", note: note)
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
            value: "\(missed)", threshold: "\(severity == .critical ? policy.staleCriticalSlots : policy.staleWarningSlots)",
            since: newest + Slot.seconds)
    }

    /// This clock against the sources' (the collector refused quotes as clock_skew,
    /// or found the file ahead of the current slot, clock_behind), or a stored
    /// sample in the future: either way, samples land in the wrong slots or not at all.
    func clockSkew(_ data: Observation.PairData, _ observation: Observation) -> Condition {
        let key = AlertKey(.clockSkew, pair: "\(data.pair)")
        let next = "Next step: timedatectl; check NTP (systemd-timesyncd or chrony). After a clock that ran ahead, btcrate rewind \(data.pair) --to <the last good time> removes the future samples."
        if let last = data.lastUpdate, last > observation.now {
            return Condition(
                key: key, active: true, severity: .warning,
                summary: "\(data.pair): the newest sample, \(Timestamp.iso8601(last)), lies \(Timestamp.span(last - observation.now)) in the future",
                description: "A clock that ran ahead wrote it; until the clock passes it, no later sample can be written. \(next)",
                value: "future_sample", threshold: "now")
        }
        if let run = data.run, let errorClass = run.errorClass, errorClass == .clockSkew || errorClass == .clockBehind {
            return Condition(
                key: key, active: true, severity: .warning,
                summary: "\(data.pair): the collector distrusts this clock (\(errorClass.rawValue))",
                description: "The last run said: \(run.error ?? "-"). Nothing was written. \(next)",
                value: errorClass.rawValue, threshold: "validation.clock_tolerance")
        }
        return Condition(key: key, active: false, severity: .warning, summary: "\(data.pair): this clock agrees with the sources", description: "")
    }

    /// systemd-timedated says the clock is not synchronised (NTPSynchronized false),
    /// held for its pending time (30 minutes).
    func clockNotSynchronised(_ observation: Observation) -> Condition? {
        guard let synchronised = observation.clockSynchronised else { return nil }
        return Condition(
            key: AlertKey(.clockNotSynchronised), active: !synchronised, severity: .warning,
            summary: "the system clock is not synchronised (systemd-timedated: NTPSynchronized=no)",
            description: "Samples are aligned to this clock, and the collector refuses quotes once it is off by validation.clock_tolerance. Next step: timedatectl timesync-status; enable systemd-timesyncd or chrony (timedatectl set-ntp true).",
            value: "false", threshold: "true")
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

    /// Only a configured key that fails: on a deliberately keyless install (the
    /// package default) the keyless sources are the plan, not a fallback, and an
    /// alert that fires forever would teach people to ignore alerts.
    func fallbackInUse(_ data: Observation.PairData, _ observation: Observation) -> Condition? {
        guard let run = data.run, run.result == .written, let source = run.source else { return nil }
        let keyFailed = observation.hasAlphaVantageKey && observation.sources.first == .alphavantage && source != .alphavantage
        return Condition(
            key: AlertKey(.fallbackInUse, pair: "\(data.pair)"), active: keyFailed, severity: .info,
            summary: "\(data.pair): samples come from \(source.displayName), a fallback source",
            description: "The configured Alpha Vantage key gave no usable quote, so a keyless source wrote the sample. Next step: look for alphavantage's error class in journalctl -u btcrate-collector (quota_exhausted, invalid_key).",
            value: source.rawValue)
    }

    /// Both cuts have hysteresis: a firing alert clears only 2 points above the
    /// warning line, and a critical one steps down only 1 point above the critical line.
    func diskSpaceLow(_ observation: Observation, firingAt: Severity?) -> Condition? {
        guard let free = observation.diskFreeFraction else { return nil }
        let limit = firingAt != nil ? policy.diskFree + 0.02 : policy.diskFree
        let criticalLimit = firingAt == .critical ? policy.diskFree / 2 + 0.01 : policy.diskFree / 2
        let severity: Severity = free < criticalLimit ? .critical : .warning
        let megabytes = (observation.diskFreeBytes ?? 0) / 1_048_576
        return Condition(
            key: AlertKey(.diskSpaceLow), active: free < limit, severity: severity,
            summary: "the state directory's filesystem has \(Format.fixed(free * 100, 1)) % free (\(megabytes) MiB)",
            description: "RRD files are preallocated, but the run record and new pairs need room, and a full disk stops every write. Next step: free space on that filesystem (df -h /var/lib/btcrate).",
            value: Format.fixed(free, 3), threshold: Format.fixed(severity == .critical ? policy.diskFree / 2 : policy.diskFree, 3))
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
            summary: reason.contains("starved") ? "the graph service cannot render graphs" : "the graph service does not answer /healthz",
            description: "It said: \(reason). Next step: systemctl status btcrate-graph; journalctl -u btcrate-graph (a render worker killed or replaced is logged with its job); curl its /healthz for the render queue and the live workers.",
            value: reason)
    }

    /// `firingAt`: UnitFailed's severity while it fires. When D-Bus breaks, the
    /// alert says it cannot see the units instead of freezing on the last answer:
    /// a failure already firing stays firing (nothing shows it is over), and
    /// otherwise a warning says the watchdog is blind to the units.
    func unitFailed(_ observation: Observation, firingAt: Severity? = nil) -> Condition? {
        if observation.units == nil, let reason = observation.unitsUnseen {
            return Condition(
                key: AlertKey(.unitFailed), active: true, severity: firingAt ?? .warning,
                summary: "cannot see btcrate's units: \(reason)",
                description: "The watchdog asks systemd over the system D-Bus and reconnects at every evaluation; until then it cannot tell whether a unit failed. Next step: systemctl status dbus; systemctl status btcrate-collector.timer btcrate-graph btcrate-watchdog.",
                value: "dbus")
        }
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

    /// A sink with a notification undelivered for longer than `notificationsFailingAfter`.
    /// Sent through the other sinks (the notifier leaves out the ones named in `value`).
    func notificationsFailing(_ observation: Observation) -> Condition? {
        guard let backlog = observation.outbox else { return nil }
        let late = backlog.filter { observation.now - $0.oldest > policy.notificationsFailingAfter }.sorted { $0.sink < $1.sink }
        let words = late.map { "\($0.sink) (\($0.count) queued, oldest \((observation.now - $0.oldest) / 60) min)" }
        return Condition(
            key: AlertKey(.notificationsFailing), active: !late.isEmpty, severity: .warning,
            summary: "notifications undelivered: \(words.joined(separator: ", "))",
            description: "Each is kept in the outbox and retried (at most 5 minutes apart) until notify.give_up_after. Next step: journalctl -u btcrate-watchdog BTCRATE_SINK=<sink>; check the receiver and its URL.",
            value: late.map(\.sink).joined(separator: ","), threshold: "\(policy.notificationsFailingAfter)")
    }

    // MARK: the data

    func priceMove(_ data: Observation.PairData, wasFiring wasActive: Bool) -> Condition? {
        guard let newest = data.newest, let rate = newest.rate,
              let earlier = data.recent.first(where: { $0.rate != nil && $0.time >= newest.time - policy.priceMoveWindow }),
              let before = earlier.rate, earlier.time < newest.time, before > 0 else { return nil }
        let change = (rate - before) / before
        let limit = wasActive ? policy.priceMove * (1 - policy.hysteresis) : policy.priceMove
        let minutes = (newest.time - earlier.time) / 60
        return Condition(
            key: AlertKey(.priceMove, pair: "\(data.pair)"), active: abs(change) >= limit, severity: .warning,
            summary: "\(data.pair) moved \(Format.fixed(change * 100, 1, sign: true)) % in \(minutes) minutes (to \(rate))",
            description: "The rate changed by more than \(Format.fixed(policy.priceMove * 100, 0)) % within \(policy.priceMoveWindow / 60) minutes. It is the market, or a bad source: compare the sources in the journal (BTCRATE_SOURCE).",
            value: Format.fixed(change, 4), threshold: Format.fixed(policy.priceMove, 4))
    }

    func priceLevels(_ data: Observation.PairData, firing: [AlertKey: Severity]) -> [Condition] {
        guard let rate = data.newest?.rate else { return [] }
        var conditions: [Condition] = []
        if let line = policy.priceAbove {
            let key = AlertKey(.priceAbove, pair: "\(data.pair)")
            let limit = firing[key] != nil ? line * (1 - policy.priceHysteresis) : line
            conditions.append(Condition(key: key, active: rate > limit, severity: .info,
                                        summary: "\(data.pair) is above \(line): \(rate)",
                                        description: "The threshold alerts.price_above was crossed upwards.",
                                        value: "\(rate)", threshold: "\(line)"))
        }
        if let line = policy.priceBelow {
            let key = AlertKey(.priceBelow, pair: "\(data.pair)")
            let limit = firing[key] != nil ? line * (1 + policy.priceHysteresis) : line
            conditions.append(Condition(key: key, active: rate < limit, severity: .info,
                                        summary: "\(data.pair) is below \(line): \(rate)",
                                        description: "The threshold alerts.price_below was crossed downwards.",
                                        value: "\(rate)", threshold: "\(line)"))
        }
        return conditions
    }

    func spreadWide(_ data: Observation.PairData, wasFiring wasActive: Bool) -> Condition? {
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
            summary: "\(data.pair) spread is \(Format.fixed(spread * 100, 2)) % (bid \(bid), ask \(ask))",
            description: "A wide spread means a thin or disorderly market, or a source quoting stale sides. Next step: compare with another source before trusting the rate.",
            value: Format.fixed(spread, 4), threshold: Format.fixed(policy.spread, 4))
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
