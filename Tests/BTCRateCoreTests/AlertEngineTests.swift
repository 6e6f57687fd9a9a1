import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

/// The alert lifecycle with a controlled clock: pending, firing, resolved,
/// repeat, escalation, grouping, and persistence across a restart.
@Suite struct AlertEngineTests {
    let key = AlertKey(.spreadWide, pair: "BTC-USD")
    var policy: AlertPolicy = {
        var policy = AlertPolicy()
        policy.pendingFor[.spreadWide] = 600
        policy.repeatInterval = 3600
        return policy
    }()

    func condition(_ active: Bool, severity: Severity = .warning, key: AlertKey? = nil) -> Condition {
        Condition(key: key ?? self.key, active: active, severity: severity, summary: "s", description: "d", value: "0.02", threshold: "0.01")
    }

    @Test func notFiringBeforeItsPendingTimeFiringAfter() {
        var engine = AlertEngine(policy: policy)
        #expect(engine.apply([condition(true)], now: 1000).isEmpty)
        #expect(engine.states[key]?.phase == .pending)
        #expect(engine.apply([condition(true)], now: 1599).isEmpty)
        let fired = engine.apply([condition(true)], now: 1600)
        #expect(fired.map(\.kind) == [.firing])
        #expect(engine.states[key]?.phase == .firing && engine.states[key]?.firedAt == 1600)
    }

    @Test func aConditionThatClearsWhilePendingNeverFires() {
        var engine = AlertEngine(policy: policy)
        _ = engine.apply([condition(true)], now: 1000)
        #expect(engine.apply([condition(false)], now: 1300).isEmpty)
        #expect(engine.states.isEmpty)
        #expect(engine.apply([condition(true)], now: 1400).isEmpty)   // the pending time starts again
        #expect(engine.apply([condition(true)], now: 1900).isEmpty)
        #expect(engine.apply([condition(true)], now: 2000).map(\.kind) == [.firing])
    }

    @Test func resolvesWhenTheConditionClears() {
        var engine = AlertEngine(policy: policy)
        _ = engine.apply([condition(true)], now: 0)
        _ = engine.apply([condition(true)], now: 600)
        let clear = Condition(key: key, active: false, severity: .warning, summary: "0 runs in a row failed", description: "d")
        let resolved = engine.apply([clear], now: 900)
        #expect(resolved.map(\.kind) == [.resolved])
        #expect(resolved.first?.alert.summary == "s", "the resolved entry says what was wrong")
        #expect(resolved.first?.stateWord == "resolved")
        #expect(engine.states.isEmpty)
    }

    @Test func aFiringAlertRepeatsAfterTheIntervalOnly() {
        var engine = AlertEngine(policy: policy)
        _ = engine.apply([condition(true)], now: 0)
        _ = engine.apply([condition(true)], now: 600)
        #expect(engine.apply([condition(true)], now: 4199).isEmpty)
        let repeated = engine.apply([condition(true)], now: 4200)
        #expect(repeated.map(\.kind) == [.repeated])
        #expect(repeated.first?.stateWord == "firing")
        #expect(engine.apply([condition(true)], now: 4300).isEmpty)
        #expect(engine.nextDeadline(after: 4300) == 7800)
        #expect(engine.nextDeadline(after: 7800) == nil)
    }

    @Test func escalationIsNotifiedAtOnce() {
        var engine = AlertEngine(policy: AlertPolicy())
        let stale = AlertKey(.rateStale, pair: "BTC-USD")
        #expect(engine.apply([condition(true, key: stale)], now: 0).map(\.kind) == [.firing])
        let escalated = engine.apply([condition(true, severity: .critical, key: stale)], now: 2400)
        #expect(escalated.map(\.kind) == [.firing])
        #expect(escalated.first?.alert.severity == .critical && escalated.first?.previousSeverity == .warning)
    }

    /// A step down is the same alert at a lower severity: never a "resolved" for a
    /// condition still true.
    @Test func deEscalationIsTheSameAlertNeverAResolved() {
        var engine = AlertEngine(policy: AlertPolicy())
        let stale = AlertKey(.rateStale, pair: "BTC-USD")
        _ = engine.apply([condition(true, severity: .critical, key: stale)], now: 0)
        let down = engine.apply([condition(true, severity: .warning, key: stale)], now: 600)
        #expect(down.map(\.kind) == [.firing])
        #expect(down.first?.alert.severity == .warning && down.first?.previousSeverity == .critical)
        #expect(engine.states[stale]?.firedAt == 0)
    }

    /// Obsolete alerts are resolved with the reason, not dropped; pending ones just go.
    @Test func retiredAlertsAreResolvedWithTheirReason() {
        var engine = AlertEngine(policy: policy)
        let other = AlertKey(.rateStale, pair: "ETH-USD")
        _ = engine.apply([condition(true), condition(true, key: other)], now: 0)   // SpreadWide pending, RateStale firing
        let retired = engine.retire(where: { _ in "removed" }, now: 60)
        #expect(retired.map(\.alert.key) == [other])
        #expect(retired.first?.kind == .resolved && retired.first?.note == "no longer evaluated: removed")
        #expect(engine.states.isEmpty)
    }

    /// The condition's own start (RateStale: the slot after the newest sample) is
    /// the alert's startsAt, not the moment the watchdog noticed.
    @Test func startsAtIsWhenTheConditionBegan() {
        var engine = AlertEngine(policy: AlertPolicy())
        let stale = AlertKey(.rateStale, pair: "BTC-USD")
        let began = Condition(key: stale, active: true, severity: .warning, summary: "s", description: "d", since: 600)
        let fired = engine.apply([began], now: 2000)
        #expect(fired.first?.alert.startsAt == 600)
    }

    @Test func transitionsOfOneEvaluationComeTogether() {
        var engine = AlertEngine(policy: AlertPolicy())
        let keys = [AlertKey(.rateStale, pair: "A-USD"), AlertKey(.rateStale, pair: "B-USD"), AlertKey(.collectorFailing, pair: "A-USD")]
        let group = engine.apply(keys.map { condition(true, key: $0) }, now: 0)
        #expect(group.count == 3 && Set(group.map(\.alert.key)) == Set(keys))
        let cleared = engine.apply(keys.map { condition(false, key: $0) }, now: 600)
        #expect(cleared.count == 3 && cleared.allSatisfy { $0.kind == .resolved })
    }

    @Test func aRestartNeitherForgetsNorResendsAFiringAlert() throws {
        let directory = TemporaryDirectory()
        let store = AlertStateStore(stateDirectory: directory.path)
        var engine = AlertEngine(policy: policy)
        _ = engine.apply([condition(true)], now: 0)
        _ = engine.apply([condition(true)], now: 600)
        try store.save(engine.states, now: 600)

        var restarted = AlertEngine(policy: policy, states: store.load())
        #expect(restarted.firing.map(\.key) == [key])
        #expect(restarted.apply([condition(true)], now: 700).isEmpty)
        #expect(restarted.apply([condition(false)], now: 800).map(\.kind) == [.resolved])
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(text.contains("\"name\" : \"SpreadWide\""))
    }

    @Test func rulesThatCannotJudgeLeaveTheStateAlone() {
        var engine = AlertEngine(policy: AlertPolicy())
        let stale = AlertKey(.rateStale, pair: "BTC-USD")
        _ = engine.apply([condition(true, key: stale)], now: 0)
        #expect(engine.apply([], now: 600).isEmpty)
        #expect(engine.states[stale]?.phase == .firing)
    }
}
