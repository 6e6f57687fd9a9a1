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

    func condition(_ name: AlertName, _ observation: Observation, active: Set<AlertKey> = []) -> Condition? {
        rules.evaluate(observation, active: active).first { $0.key.name == name }
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

    @Test func priceMoveWithHysteresis() {
        let jumped = rows([40000, 40100, 40200, 40300, 40400, 40500, 42100])
        #expect(condition(.priceMove, observe(recent: jumped))?.active == true)   // +5.25 %
        let settling = rows([40000, 40100, 40200, 40300, 40400, 40500, 41700])   // +4.25 %
        #expect(condition(.priceMove, observe(recent: settling))?.active == false)
        let active: Set<AlertKey> = [AlertKey(.priceMove, pair: "BTC-USD")]
        #expect(condition(.priceMove, observe(recent: settling), active: active)?.active == true)
        let calm = rows([40000, 40100, 40200, 40300, 40400, 40500, 41500])       // +3.75 %
        #expect(condition(.priceMove, observe(recent: calm), active: active)?.active == false)
    }

    @Test func priceLevelsAndSpreadAndFlatline() {
        var policy = AlertPolicy()
        policy.priceAbove = 45000
        policy.priceBelow = 30000
        let rules = AlertRules(policy: policy)
        let high = observe(recent: rows([44000, 45100]))
        let above = rules.evaluate(high, active: []).first { $0.key.name == .priceAbove }
        #expect(above?.active == true)
        let dipped = observe(recent: rows([45100, 44900]))
        #expect(rules.evaluate(dipped, active: [AlertKey(.priceAbove, pair: "BTC-USD")]).first { $0.key.name == .priceAbove }?.active == true)
        #expect(rules.evaluate(dipped, active: []).first { $0.key.name == .priceBelow }?.active == false)

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
        let stale = rules.evaluate(observation, active: []).first { $0.key.name == .rateStale }
        #expect(stale?.active == true && stale?.severity == .critical)
        // Without a file, the run record's last success is the baseline.
        var fromRecord = Observation(now: now, watchingSince: now - 5, pairs: [Observation.PairData(pair: pair, run: try run())])
        fromRecord.pairs[0].run?.lastSuccess = Timestamp.iso8601(slot + 30)
        #expect(rules.evaluate(fromRecord, active: []).first { $0.key.name == .rateStale }?.active == true)
    }

    /// Alerts whose pair left the configuration, or whose check was switched off, are forgotten.
    @Test func obsoleteAlertsAreRecognised() throws {
        let other = try CurrencyPair(parsing: "ETH-USD")
        #expect(rules.isObsolete(AlertKey(.rateStale, pair: "ETH-USD"), pairs: [pair], graphHealthChecked: true))
        #expect(!rules.isObsolete(AlertKey(.rateStale, pair: "ETH-USD"), pairs: [pair, other], graphHealthChecked: true))
        #expect(rules.isObsolete(AlertKey(.graphServiceDown), pairs: [pair], graphHealthChecked: false))
        #expect(!rules.isObsolete(AlertKey(.graphServiceDown), pairs: [pair], graphHealthChecked: true))
        #expect(rules.isObsolete(AlertKey(.priceAbove, pair: "BTC-USD"), pairs: [pair], graphHealthChecked: true))
        #expect(!rules.isObsolete(AlertKey(.clockJump), pairs: [pair], graphHealthChecked: true))
    }

    @Test func timestampsReadBackWhatTheyWrite() {
        #expect(Timestamp.parse(Timestamp.iso8601(slot)) == slot)
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
