import BTCRateCore
import Foundation
import Testing

/// Each rule on synthetic observations.
@Suite struct AlertRulesTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let slot = 1_705_320_000
    let rules = AlertRules(policy: AlertPolicy())

    func rows(_ rates: [Double?], endingAt end: Int? = nil, bid: Double? = nil, ask: Double? = nil) -> [Observation.Row] {
        let last = end ?? slot
        return rates.enumerated().map { index, rate in
            Observation.Row(time: last - (rates.count - 1 - index) * 600, rate: rate, bid: bid, ask: ask)
        }
    }

    func observe(now: Int? = nil, recent: [Observation.Row] = [], run: RunRecord.PairEntry? = nil,
                 configure: (inout Observation) -> Void = { _ in }) -> Observation {
        var observation = Observation(now: now ?? slot + 60, watchingSince: slot - 86_400,
                                      pairs: [Observation.PairData(pair: pair, recent: recent, run: run)])
        configure(&observation)
        return observation
    }

    func condition(_ name: AlertName, _ observation: Observation, firing: [AlertKey: Severity] = [:]) -> Condition? {
        rules.evaluate(observation, firing: firing).first { $0.key.name == name }
    }

    func run(result: PairOutcome.Result = .written, source: SourceID? = .coinbase, failures: Int = 0,
             errorClass: FetchFailure.Kind? = nil, attempts: [PairOutcome.Attempt] = []) throws -> RunRecord.PairEntry {
        var outcome = PairOutcome(pair: pair, slot: Slot(containing: slot), result: result)
        outcome.source = source
        outcome.errorClass = errorClass
        outcome.attempts = attempts
        var record = RunRecord(command: "t", startedAt: Date(), finishedAt: Date(), exitCode: 0, keylessOnly: false,
                               outcomes: [outcome], previous: nil)
        record.pairs[0].consecutiveFailures = failures
        return record.pairs[0]
    }

    @Test func rateStaleWarnsAfterTwoMissedSlotsAndIsCriticalAfterSix() {
        let recent = rows([40000, 40001])
        #expect(condition(.rateStale, observe(now: slot + 2 * 600 + 119, recent: recent))?.active == false)
        let warning = condition(.rateStale, observe(now: slot + 2 * 600 + 120, recent: recent))
        #expect(warning?.active == true && warning?.severity == .warning)
        let critical = condition(.rateStale, observe(now: slot + 6 * 600 + 120, recent: recent))
        #expect(critical?.severity == .critical)
        #expect(rules.staleDeadlines(observe(recent: recent).pairs[0], observe(recent: recent)) == [slot + 1320, slot + 3720])
    }

    /// ClockSkew: the collector's clock classes, and a stored sample in the future.
    @Test func clockSkewFromTheCollectorsClassesAndFromAFutureSample() throws {
        #expect(condition(.clockSkew, observe(recent: rows([40000])))?.active == false)
        for errorClass in [FetchFailure.Kind.clockSkew, .clockBehind] {
            let skewed = condition(.clockSkew, observe(run: try run(result: .failed, failures: 1, errorClass: errorClass)))
            #expect(skewed?.active == true && skewed?.severity == .warning && skewed?.value == errorClass.rawValue)
        }
        #expect(condition(.clockSkew, observe(run: try run(result: .failed, failures: 1, errorClass: .timeout)))?.active == false)
        let ahead = condition(.clockSkew, observe(now: slot - 3 * 86_400) { $0.pairs[0].lastUpdate = slot })
        #expect(ahead?.active == true && ahead?.summary.contains("3 d 0 h in the future") == true)
        #expect(ahead?.description.contains("btcrate rewind BTC-USD") == true)
    }

    /// ClockNotSynchronised: only where timedated can be asked, and pending 30 minutes.
    @Test func clockNotSynchronisedWaitsHalfAnHour() {
        #expect(condition(.clockNotSynchronised, observe()) == nil)
        #expect(condition(.clockNotSynchronised, observe { $0.clockSynchronised = true })?.active == false)
        let unsynced = condition(.clockNotSynchronised, observe { $0.clockSynchronised = false })
        #expect(unsynced?.active == true && unsynced?.key.pair == "")
        #expect(AlertPolicy().pending(.clockNotSynchronised) == 1800)
    }

    @Test func collectorFailingCarriesTheErrorClass() throws {
        #expect(condition(.collectorFailing, observe(run: try run(result: .failed, failures: 1, errorClass: .timeout)))?.active == false)
        let failing = condition(.collectorFailing, observe(run: try run(result: .failed, failures: 2, errorClass: .timeout)))
        #expect(failing?.active == true && failing?.summary.contains("timeout") == true)
    }

    @Test func quotaAndFallback() throws {
        let attempts = [PairOutcome.Attempt(source: .alphavantage, errorClass: .quotaExhausted, detail: nil)]
        let observation = observe(run: try run(attempts: attempts))
        #expect(condition(.quotaExhausted, observation)?.active == true)
        #expect(condition(.fallbackInUse, observation)?.active == true)
        #expect(condition(.fallbackInUse, observation)?.severity == .info)
        #expect(condition(.fallbackInUse, observe(run: try run(source: .alphavantage)))?.active == false)
        // A same-slot re-run says nothing about the quota either way.
        #expect(condition(.quotaExhausted, observe(run: try run(result: .alreadyCollected))) == nil)
    }

    @Test func storageDiskClockGraphAndUnits() {
        var observation = observe()
        observation.pairs[0].fileError = "mmaping file: No such device"
        observation.diskFreeFraction = 0.04
        observation.clockJump = (at: slot, seconds: -3600)
        observation.graphService = .down("connection refused")
        observation.units = [.init(name: "btcrate-collector.timer", activeState: "inactive"),
                             .init(name: "btcrate-graph.service", activeState: "active")]
        #expect(condition(.storageError, observation)?.active == true)
        #expect(condition(.diskSpaceLow, observation)?.severity == .critical)
        #expect(condition(.clockJump, observation)?.summary.contains("backwards by 3600 s") == true)
        #expect(condition(.graphServiceDown, observation)?.active == true)
        let units = condition(.unitFailed, observation)
        #expect(units?.active == true && units?.summary.contains("btcrate-collector.timer (inactive)") == true)
        // A collector run that got no sample (69) is CollectorFailing's; a configuration
        // error (78, no run record) or a crash is UnitFailed's.
        observation.units = [.init(name: "btcrate-collector.timer", activeState: "active"),
                             .init(name: "btcrate-collector.service", activeState: "failed", result: "exit-code", exitStatus: 69)]
        #expect(condition(.unitFailed, observation)?.active == false)
        observation.units = [.init(name: "btcrate-collector.timer", activeState: "active"),
                             .init(name: "btcrate-collector.service", activeState: "failed", result: "exit-code", exitStatus: 78)]
        #expect(condition(.unitFailed, observation)?.active == true)
        observation.units = [.init(name: "btcrate-collector.timer", activeState: "active"),
                             .init(name: "btcrate-collector.service", activeState: "failed", result: "core-dump")]
        #expect(condition(.unitFailed, observation)?.active == true)
        observation.now += 601
        #expect(condition(.clockJump, observation)?.active == false)
        observation.graphService = nil
        observation.units = nil
        #expect(condition(.graphServiceDown, observation) == nil && condition(.unitFailed, observation) == nil)
    }

    /// /healthz's 503 about stale data is up (RateStale covers it); "starved", no
    /// render worker free within graph.render_timeout, is down: nobody gets a graph.
    @Test func aStarvedGraphServiceIsDownAndAStaleOneIsUp() {
        func body(_ json: String) -> [UInt8] { Array(json.utf8) }
        #expect(Observation.Reachability.health(status: 200, body: body(#"{"status":"ok"}"#)) == .up)
        #expect(Observation.Reachability.health(status: 503, body: body(#"{"status":"unhealthy","reasons":["BTC-USD: newest sample is 4000 s old"]}"#)) == .up)
        let starved = Observation.Reachability.health(status: 503, body: body(
            #"{"status":"starved","reasons":["renders: the render queue is full (64 of 64 waiting)","BTC-USD: fine"]}"#))
        #expect(starved == .down("HTTP 503, starved: the render queue is full (64 of 64 waiting)"))
        #expect(Observation.Reachability.health(status: 500, body: []) == .down("HTTP 500"))
        let observation = observe { $0.graphService = starved }
        let down = condition(.graphServiceDown, observation)
        #expect(down?.active == true && down?.summary == "the graph service cannot render graphs")
    }

    /// D-Bus broke after the units were seen: UnitFailed says it cannot see them
    /// (a warning), and a failure already firing stays firing at its severity.
    @Test func unitFailedSaysWhenItCannotSeeTheUnits() {
        var observation = observe()
        observation.unitsUnseen = "sd_bus_get_property_string(ActiveState): Connection reset by peer"
        let blind = rules.evaluate(observation, firing: [:]).first { $0.key.name == .unitFailed }
        #expect(blind?.active == true && blind?.severity == .warning)
        #expect(blind?.summary.hasPrefix("cannot see btcrate's units: sd_bus_get_property_string") == true)
        let still = rules.evaluate(observation, firing: [AlertKey(.unitFailed): .critical]).first { $0.key.name == .unitFailed }
        #expect(still?.active == true && still?.severity == .critical)
    }

    @Test func priceMoveWithHysteresis() {
        let jumped = rows([40000, 40100, 40200, 40300, 40400, 40500, 42100])
        #expect(condition(.priceMove, observe(recent: jumped))?.active == true)   // +5.25 %
        let settling = rows([40000, 40100, 40200, 40300, 40400, 40500, 41700])   // +4.25 %
        #expect(condition(.priceMove, observe(recent: settling))?.active == false)
        let firing: [AlertKey: Severity] = [AlertKey(.priceMove, pair: "BTC-USD"): .warning]
        #expect(condition(.priceMove, observe(recent: settling), firing: firing)?.active == true)
        let calm = rows([40000, 40100, 40200, 40300, 40400, 40500, 41500])       // +3.75 %
        #expect(condition(.priceMove, observe(recent: calm), firing: firing)?.active == false)
    }

    @Test func priceLevelsAndSpreadAndFlatline() {
        var policy = AlertPolicy()
        policy.priceAbove = 45000
        policy.priceBelow = 30000
        let rules = AlertRules(policy: policy)
        let high = observe(recent: rows([44000, 45100]))
        let above = rules.evaluate(high, firing: [:]).first { $0.key.name == .priceAbove }
        #expect(above?.active == true)
        let dipped = observe(recent: rows([45100, 44900]))
        #expect(rules.evaluate(dipped, firing: [AlertKey(.priceAbove, pair: "BTC-USD"): .info]).first { $0.key.name == .priceAbove }?.active == true)
        #expect(rules.evaluate(dipped, firing: [:]).first { $0.key.name == .priceBelow }?.active == false)

        #expect(condition(.spreadWide, observe(recent: rows([40000], bid: 39700, ask: 40300)))?.active == true)
        #expect(condition(.spreadWide, observe(recent: rows([40000], bid: 39990, ask: 40010)))?.active == false)

        #expect(condition(.flatline, observe(recent: rows([40000, 40000, 40000, 40000, 40000, 40000])))?.active == true)
        #expect(condition(.flatline, observe(recent: rows([40000, 40000, 40000, 40000, 40000, 40001])))?.active == false)
        #expect(condition(.flatline, observe(recent: rows([40000, nil, 40000, 40000, 40000, 40000, 40000])))?.active == false)
    }

    /// SpreadWide judges the newest sample only: an old wide row does not keep it firing.
    @Test func spreadWideLooksAtTheNewestSampleOnly() {
        let old = Observation.Row(time: slot - 600, rate: 40000, bid: 39700, ask: 40300)
        let newestWithoutSides = Observation.Row(time: slot, rate: 40000)
        #expect(condition(.spreadWide, observe(recent: [old, newestWithoutSides]))?.active == false)
        let newestNarrow = Observation.Row(time: slot, rate: 40000, bid: 39995, ask: 40005)
        #expect(condition(.spreadWide, observe(recent: [old, newestNarrow]))?.active == false)
    }

    /// A watchdog restarted during an outage longer than the rows it reads still
    /// counts staleness from the file's last update, never from its own start.
    @Test func rateStaleSurvivesARestartDuringALongOutage() throws {
        let now = slot + 12 * 3600
        var observation = Observation(now: now, watchingSince: now - 5, pairs: [Observation.PairData(pair: pair)])
        observation.pairs[0].lastUpdate = slot
        let stale = rules.evaluate(observation, firing: [:]).first { $0.key.name == .rateStale }
        #expect(stale?.active == true && stale?.severity == .critical)
        // Without a file, the run record's last success is the baseline.
        var fromRecord = Observation(now: now, watchingSince: now - 5, pairs: [Observation.PairData(pair: pair, run: try run())])
        fromRecord.pairs[0].run?.lastSuccess = Timestamp.iso8601(slot + 30)
        #expect(rules.evaluate(fromRecord, firing: [:]).first { $0.key.name == .rateStale }?.active == true)
    }

    /// Alerts whose pair left the configuration, or whose check was switched off,
    /// are recognised with the reason their resolved entry gives.
    @Test func obsoleteAlertsAreRecognised() throws {
        let other = try CurrencyPair(parsing: "ETH-USD")
        #expect(rules.obsolescence(AlertKey(.rateStale, pair: "ETH-USD"), pairs: [pair], graphHealthChecked: true) == "ETH-USD is no longer in collector.pairs")
        #expect(rules.obsolescence(AlertKey(.rateStale, pair: "ETH-USD"), pairs: [pair, other], graphHealthChecked: true) == nil)
        #expect(rules.obsolescence(AlertKey(.graphServiceDown), pairs: [pair], graphHealthChecked: false) == "watchdog.graph_url is off")
        #expect(rules.obsolescence(AlertKey(.graphServiceDown), pairs: [pair], graphHealthChecked: true) == nil)
        #expect(rules.obsolescence(AlertKey(.priceAbove, pair: "BTC-USD"), pairs: [pair], graphHealthChecked: true) == "alerts.price_above is off")
        #expect(rules.obsolescence(AlertKey(.clockJump), pairs: [pair], graphHealthChecked: true) == nil)
    }

    /// The package default has no key: the keyless sources are the plan, and
    /// FallbackInUse stays quiet. It fires only when a configured key fails.
    @Test func aKeylessInstallIsQuiet() throws {
        let keyless = observe(run: try run(source: .coinbase)) { $0.hasAlphaVantageKey = false }
        #expect(condition(.fallbackInUse, keyless)?.active == false)
        let keyFailed = observe(run: try run(source: .coinbase))
        #expect(condition(.fallbackInUse, keyFailed)?.active == true)
        let noAlphaVantage = observe(run: try run(source: .kraken)) { $0.sources = [.coinbase, .kraken] }
        #expect(condition(.fallbackInUse, noAlphaVantage)?.active == false)
    }

    /// Both DiskSpaceLow cuts have hysteresis: at 5 % free the critical one no
    /// longer flaps between critical and warning.
    @Test func diskSpaceLowHasHysteresisAtBothCuts() {
        let at = { (free: Double) in self.observe { $0.diskFreeFraction = free } }
        let key = AlertKey(.diskSpaceLow)
        #expect(condition(.diskSpaceLow, at(0.049))?.severity == .critical)
        #expect(condition(.diskSpaceLow, at(0.051))?.severity == .warning)
        #expect(condition(.diskSpaceLow, at(0.055), firing: [key: .critical])?.severity == .critical)
        #expect(condition(.diskSpaceLow, at(0.061), firing: [key: .critical])?.severity == .warning)
        #expect(condition(.diskSpaceLow, at(0.11), firing: [key: .warning])?.active == true)
        #expect(condition(.diskSpaceLow, at(0.121), firing: [key: .warning])?.active == false)
        #expect(condition(.diskSpaceLow, at(0.11))?.active == false)
    }

    /// Once the data stops, the data alerts resolve with a note and RateStale
    /// speaks for the outage; while samples come, they judge as before.
    @Test func dataAlertsStopClaimingWhenTheDataStops() {
        var policy = AlertPolicy()
        policy.priceAbove = 45000
        let rules = AlertRules(policy: policy)
        let recent = rows([45100, 45200], bid: 44000, ask: 46000)
        let fresh = observe(now: slot + 300, recent: recent)
        let judged = rules.evaluate(fresh, firing: [:])
        #expect(judged.first { $0.key.name == .priceAbove }?.active == true)
        #expect(judged.first { $0.key.name == .spreadWide }?.active == true)
        let silent = observe(now: slot + 2 * 600 + 121, recent: recent)
        let missing = rules.evaluate(silent, firing: [:])
        for name in [AlertName.priceAbove, .spreadWide] {
            let condition = missing.first { $0.key.name == name }
            #expect(condition?.active == false, "\(name)")
            #expect(condition?.note?.contains("its data is missing: the newest BTC-USD sample is 22 minutes old") == true, "\(name)")
        }
        #expect(missing.first { $0.key.name == .rateStale }?.active == true)
        // PriceMove looks at an hour: it gives up only past that.
        #expect(missing.first { $0.key.name == .priceMove }?.note == nil)
        #expect(rules.evaluate(observe(now: slot + 3601, recent: recent), firing: [:]).first { $0.key.name == .priceMove }?.note != nil)
    }

    /// RateStale's condition began in the slot after the newest sample: that is its startsAt.
    @Test func rateStaleKnowsWhenItBegan() {
        let stale = condition(.rateStale, observe(now: slot + 3 * 600, recent: rows([40000])))
        #expect(stale?.since == slot + 600)
    }

    /// As in Prometheus, `for:` needs the condition true the whole time: hysteresis
    /// holds only a firing alert, so a dip below the line restarts the wait.
    @Test func aPendingWaitNeedsTheConditionTrueTheWholeTime() {
        var engine = AlertEngine(policy: AlertPolicy())   // SpreadWide waits 600 s
        func spread(_ fraction: Double, at now: Int) -> [Transition] {
            let half = 40000 * fraction / 2
            let row = Observation.Row(time: now - 60, rate: 40000, bid: 40000 - half, ask: 40000 + half)
            let observation = Observation(now: now, watchingSince: 0, pairs: [Observation.PairData(pair: pair, recent: [row])])
            return engine.apply(rules.evaluate(observation, firing: engine.firingSeverities).filter { $0.key.name == .spreadWide }, now: now)
        }
        #expect(spread(0.012, at: slot).isEmpty)
        #expect(spread(0.009, at: slot + 300).isEmpty)   // under the line, inside the firing margin: not true
        #expect(engine.states.isEmpty)
        #expect(spread(0.012, at: slot + 600).isEmpty)
        #expect(spread(0.012, at: slot + 1199).isEmpty)
        #expect(spread(0.012, at: slot + 1200).map(\.kind) == [.firing])
        #expect(spread(0.009, at: slot + 1260).isEmpty)   // firing now: the margin holds it
        #expect(spread(0.007, at: slot + 1320).map(\.kind) == [.resolved])
    }

    @Test func notificationsFailingNamesTheLateSinks() {
        var observation = observe()
        observation.outbox = [.init(sink: "webhook", count: 3, oldest: observation.now - 301),
                              .init(sink: "email", count: 1, oldest: observation.now - 10)]
        let failing = condition(.notificationsFailing, observation)
        #expect(failing?.active == true && failing?.value == "webhook")
        #expect(failing?.summary.contains("webhook (3 queued, oldest 5 min)") == true)
        observation.outbox = [.init(sink: "email", count: 1, oldest: observation.now - 10)]
        #expect(condition(.notificationsFailing, observation)?.active == false)
        observation.outbox = nil
        #expect(condition(.notificationsFailing, observation) == nil)
    }

    @Test func timestampsReadBackWhatTheyWrite() {
        #expect(Timestamp.parse(Timestamp.iso8601(slot)) == slot)
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
