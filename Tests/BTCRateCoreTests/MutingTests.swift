import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

/// Silences and inhibition: what the sinks get, what only the journal gets, and
/// what the sinks hear once the muting ends.
@Suite struct MutingTests {
    let stale = AlertKey(.rateStale, pair: "BTC-USD")

    func condition(_ key: AlertKey, _ active: Bool, severity: Severity = .warning, value: String? = nil) -> Condition {
        Condition(key: key, active: active, severity: severity, summary: "s", description: "d", value: value)
    }

    func silence(_ name: AlertName, pair: String? = nil, from start: Int = 0, to end: Int) -> Silence {
        Silence(id: "s-\(name.rawValue)", alert: name, pair: pair, startsAt: start, endsAt: end, comment: nil, createdBy: nil)
    }

    /// Applies and routes one evaluation.
    func step(_ engine: inout AlertEngine, _ conditions: [Condition], muting: Muting, now: Int) -> [Routed] {
        engine.route(engine.apply(conditions, now: now), muting: muting, now: now)
    }

    @Test func aSilencedAlertReachesTheSinksWhenTheSilenceEndsIfItStillFires() {
        var engine = AlertEngine(policy: AlertPolicy())
        let muting = Muting(silences: [silence(.rateStale, to: 2000)])
        let fired = step(&engine, [condition(stale, true)], muting: muting, now: 1000)
        #expect(fired.map(\.muted) == [.silenced(id: "s-RateStale")])
        #expect(engine.states[stale]?.withheld == true)
        #expect(engine.announcedFiring.isEmpty)   // Alertmanager's refresh leaves it out
        // Still silenced: nothing new.
        #expect(step(&engine, [condition(stale, true)], muting: muting, now: 1500).isEmpty)
        // The silence ended, the alert still fires: the sinks hear of it now.
        let released = step(&engine, [condition(stale, true)], muting: muting, now: 2000)
        #expect(released.count == 1 && released[0].muted == nil)
        #expect(released[0].transition.kind == .firing && released[0].transition.note == "no longer muted")
        #expect(engine.states[stale]?.withheld == nil)
        // Its resolved goes to the sinks too: they were told it fired.
        let resolved = step(&engine, [condition(stale, false)], muting: muting, now: 2600)
        #expect(resolved.map(\.transition.kind) == [.resolved] && resolved[0].muted == nil)
    }

    @Test func anAlertThatFiredAndResolvedUnderASilenceNeverReachesTheSinks() {
        var engine = AlertEngine(policy: AlertPolicy())
        let muting = Muting(silences: [silence(.rateStale, pair: "BTC-USD", to: 5000)])
        _ = step(&engine, [condition(stale, true)], muting: muting, now: 1000)
        let resolved = step(&engine, [condition(stale, false)], muting: Muting(), now: 1600)
        #expect(resolved.map(\.transition.kind) == [.resolved])
        #expect(resolved[0].muted == .withheldResolution)
    }

    @Test func aSilenceOnOnePairLeavesTheOthers() {
        var engine = AlertEngine(policy: AlertPolicy())
        let other = AlertKey(.rateStale, pair: "BTC-EUR")
        let muting = Muting(silences: [silence(.rateStale, pair: "BTC-USD", to: 5000)])
        let fired = step(&engine, [condition(stale, true), condition(other, true)], muting: muting, now: 1000)
        #expect(Dictionary(uniqueKeysWithValues: fired.map { ($0.transition.alert.key, $0.muted) })
                == [stale: .silenced(id: "s-RateStale"), other: nil])
    }

    @Test func aResolvedTheSinksHeardTheFiringOfIsSentEvenUnderASilence() {
        var engine = AlertEngine(policy: AlertPolicy())
        _ = step(&engine, [condition(stale, true)], muting: Muting(), now: 1000)
        let muting = Muting(silences: [silence(.rateStale, to: 5000)])
        // Repeats and escalations are muted ...
        let escalated = step(&engine, [condition(stale, true, severity: .critical)], muting: muting, now: 1600)
        #expect(escalated.count == 1 && escalated[0].muted == .silenced(id: "s-RateStale"))
        // Alertmanager's refresh renews what it heard: the warning, not the escalation.
        #expect(engine.announcedFiring.map(\.severity) == [.warning])
        // ... the end is not: no receiver keeps open an alert that ended.
        let resolved = step(&engine, [condition(stale, false)], muting: muting, now: 2200)
        #expect(resolved.count == 1 && resolved[0].muted == nil)
    }

    @Test func aStorageErrorInhibitsStalenessAndFailingRunsOfItsPair() {
        var engine = AlertEngine(policy: AlertPolicy())
        let storage = AlertKey(.storageError, pair: "BTC-USD")
        let failing = AlertKey(.collectorFailing, pair: "BTC-USD")
        let otherPair = AlertKey(.rateStale, pair: "BTC-EUR")
        let routed = step(&engine, [condition(storage, true, severity: .critical), condition(stale, true), condition(failing, true),
                                    condition(otherPair, true)], muting: Muting(), now: 1000)
        let muted = Dictionary(uniqueKeysWithValues: routed.map { ($0.transition.alert.key, $0.muted) })
        #expect(muted == [storage: nil, stale: .inhibited(by: storage), failing: .inhibited(by: storage), otherPair: nil])
        // The cause clears, the symptom stays: the sinks hear of the symptom now.
        let after = step(&engine, [condition(storage, false), condition(stale, true), condition(failing, false),
                                   condition(otherPair, true)], muting: Muting(), now: 1600)
        #expect(after.contains { $0.transition.alert.key == stale && $0.transition.kind == .firing && $0.muted == nil })
        #expect(after.contains { $0.transition.alert.key == failing && $0.transition.kind == .resolved && $0.muted == .withheldResolution })
    }

    @Test func aDistrustedClockInhibitsStalenessOfItsPair() {
        var engine = AlertEngine(policy: AlertPolicy())
        let skew = AlertKey(.clockSkew, pair: "BTC-USD")
        let routed = step(&engine, [condition(skew, true), condition(stale, true)], muting: Muting(), now: 1000)
        #expect(routed.first { $0.transition.alert.key == stale }?.muted == .inhibited(by: skew))
    }

    @Test func aStoppedCollectorTimerInhibitsStaleness() {
        var engine = AlertEngine(policy: AlertPolicy())
        let units = AlertKey(.unitFailed)
        let routed = step(&engine, [condition(units, true, severity: .critical, value: "btcrate-collector.timer"), condition(stale, true)],
                          muting: Muting(), now: 1000)
        #expect(routed.first { $0.transition.alert.key == stale }?.muted == .inhibited(by: units))
        // Another unit failing is no cause of staleness.
        var other = AlertEngine(policy: AlertPolicy())
        let unrelated = step(&other, [condition(units, true, severity: .critical, value: "btcrate-graph.service"), condition(stale, true)],
                             muting: Muting(), now: 1000)
        #expect(unrelated.allSatisfy { $0.muted == nil })
    }

    @Test func theStoreAddsEndsByPrefixAndForgetsOldSilences() throws {
        let directory = TemporaryDirectory()
        let store = SilenceStore(stateDirectory: directory.path)
        #expect(try store.load().isEmpty)
        let first = try store.add(.rateStale, pair: "BTC-USD", duration: 3600, comment: "maintenance", createdBy: "ops", now: 1000)
        let second = try store.add(.priceMove, pair: nil, duration: 60, comment: nil, createdBy: nil, now: 1000)
        #expect(try store.load() == [first, second])
        #expect(try store.end(id: "no-such", now: 1100) == .notFound)
        #expect(try store.end(id: "", now: 1050) == .ambiguous([first.id, second.id]))
        guard case .ended(let ended) = try store.end(id: String(first.id.prefix(8)).uppercased(), now: 1100) else {
            Issue.record("not ended")
            return
        }
        #expect(ended.endsAt == 1100 && !ended.isActive(at: 1100))
        // A day after their end, silences are dropped on the next change.
        _ = try store.add(.flatline, pair: nil, duration: 60, comment: nil, createdBy: nil, now: 1100 + SilenceStore.keepEnded + 1)
        #expect(try store.load().map(\.alert) == [.flatline])
        #expect(Muting(silences: try store.load()).nextEnd(after: 1100 + SilenceStore.keepEnded + 1) == 1100 + SilenceStore.keepEnded + 61)
    }

    @Test func anUnreadableSilencesFileIsAnErrorNotAnEmptyList() throws {
        let directory = TemporaryDirectory()
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory.file(SilenceStore.fileName)))
        #expect(throws: SilenceStore.ReadError.self) { try SilenceStore(stateDirectory: directory.path).load() }
    }
}
