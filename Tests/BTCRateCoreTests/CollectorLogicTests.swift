import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

/// The collector's decisions, with stub sources and an in-memory store.
/// (CollectorTests repeats the important ones against real RRD files and libcurl.)
@Suite struct CollectorLogicTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let now = Date(timeIntervalSince1970: 1_705_320_037)   // 12:00:37 UTC, slot 12:00
    let slot = 1_705_320_000
    let store = InMemorySampleStore()
    let log = CapturedLog()

    func collector(_ sources: [any PriceSource], history: (any HistorySource)? = nil,
                   configure: (inout Configuration) -> Void = { _ in }) -> Collector {
        var configuration = Configuration()
        configure(&configuration)
        return Collector(configuration: configuration, sources: sources, history: history, store: store,
                         clock: ManualClock(now), logger: log.logger())
    }

    @Test func writesTheFirstGoodQuoteAtTheStartOfTheSlot() async {
        let outcome = await collector([StubPriceSource(.alphavantage, rate: 45000, bid: 44990, ask: 45010, observedAt: now)]).collect(pair)
        #expect(outcome.result == .written)
        #expect(store.rows(of: pair) == [.init(time: slot, rate: 45000, bid: 44990, ask: 45010)])
    }

    @Test func fallsBackInOrderAndRecordsEveryAttempt() async {
        let kraken = StubPriceSource(.kraken, rate: 45001, observedAt: now)
        let outcome = await collector([
            StubPriceSource(.alphavantage, failing: .quotaExhausted),
            StubPriceSource(.coinbase, failing: .timeout),
            kraken,
            StubPriceSource(.bitstamp, rate: 1, observedAt: now),
        ]).collect(pair)
        #expect(outcome.source == .kraken)
        #expect(outcome.attempts.map(\.errorClass) == [.quotaExhausted, .timeout])
        #expect(store.rows(of: pair).map(\.rate) == [45001])
        #expect(log.lines.contains { $0.metadata["error_class"] == "quota_exhausted" && $0.metadata["source"] == "alphavantage" })
        #expect(log.lines.contains { $0.message.contains("from Kraken (fallback source)") })
    }

    @Test func invalidQuotesFallThroughAndNeverGetWritten() async {
        let outcome = await collector([
            StubPriceSource(.alphavantage, rate: .nan, observedAt: now),
            StubPriceSource(.coinbase, rate: 45000, bid: 45100, ask: 45000, observedAt: now),
            StubPriceSource(.kraken, rate: 45000, observedAt: now.addingTimeInterval(-7200)),
        ]).collect(pair)
        #expect(outcome.result == .failed)
        #expect(outcome.attempts.map(\.errorClass) == [.notFinite, .bidAboveAsk, .staleQuote])
        #expect(outcome.errorClass == .staleQuote)
        #expect(store.rows(of: pair).isEmpty)
    }

    @Test func aSecondRunInTheSameSlotIsANoOp() async {
        let source = StubPriceSource(.coinbase, rate: 45000, observedAt: now)
        _ = await collector([source]).collect(pair)
        let again = await collector([source]).collect(pair)
        #expect(again.result == .alreadyCollected)
        #expect(source.calls == 1)
        #expect(store.rows(of: pair).count == 1)
        #expect(log.lines.contains { $0.message.contains("already has a sample; nothing to do") })
    }

    @Test func aSampleAheadOfTheCurrentSlotIsAFailureNotANoOp() async {
        store.seed(pair, rows: [.init(time: slot + 3600, rate: 45000, bid: nil, ask: nil)])
        let source = StubPriceSource(.coinbase, rate: 45000, observedAt: now)
        let outcome = await collector([source]).collect(pair)
        #expect(outcome.result == .failed)
        #expect(outcome.errorClass == .clockBehind)
        #expect(outcome.error?.contains("6 slots") == true)
        #expect(outcome.error?.contains("btcrate rewind BTC-USD --to now") == true)
        #expect(source.calls == 0)
        #expect(store.rows(of: pair).count == 1)
        // Priority warning, not error: the clock heals it by itself once it passes the sample.
        #expect(log.lines.contains { $0.metadata["error_class"] == "clock_behind" && $0.level == .warning })
        #expect(!log.lines.contains { $0.level >= .error })
    }

    @Test func aJumpConfirmedByTheNextSourceIsWritten() async {
        store.seed(pair, rows: [.init(time: slot - 600, rate: 40000, bid: nil, ask: nil)])
        let outcome = await collector([
            StubPriceSource(.coinbase, rate: 46000, observedAt: now),
            StubPriceSource(.kraken, rate: 46100, observedAt: now),
        ]).collect(pair)
        #expect(outcome.result == .written)
        #expect(outcome.confirmedBy == .kraken)
        #expect(store.rows(of: pair).last?.rate == 46000)
    }

    @Test func anUnconfirmedJumpIsRefusedAndTheAgreeingSourceWins() async {
        store.seed(pair, rows: [.init(time: slot - 600, rate: 40000, bid: nil, ask: nil)])
        let kraken = StubPriceSource(.kraken, rate: 40100, observedAt: now)
        let outcome = await collector([StubPriceSource(.coinbase, rate: 4000, observedAt: now), kraken]) {
            $0.validation.minRate = 1
        }.collect(pair)
        #expect(outcome.attempts.first?.errorClass == .unconfirmedJump)
        #expect(outcome.source == .kraken)
        #expect(kraken.calls == 1)
        #expect(store.rows(of: pair).last?.rate == 40100)
    }

    @Test func aLoneJumpWithNobodyToConfirmIsRefused() async {
        store.seed(pair, rows: [.init(time: slot - 600, rate: 40000, bid: nil, ask: nil)])
        let outcome = await collector([StubPriceSource(.coinbase, rate: 50000, observedAt: now)]).collect(pair)
        #expect(outcome.result == .failed)
        #expect(outcome.errorClass == .unconfirmedJump)
        #expect(store.rows(of: pair).count == 1)
    }

    @Test func gapsAreRepairedOldestFirstAndHolesStayUnknown() async {
        store.seed(pair, rows: [.init(time: slot - 6 * 600, rate: 40000, bid: nil, ask: nil)])
        let hole = slot - 3 * 600
        let history = StubHistory(maxCandlesPerCall: 2) { $0 == hole ? nil : 41000 + Double(($0 - slot) / 600) }
        let outcome = await collector([StubPriceSource(.coinbase, rate: 41000, observedAt: now)], history: history).collect(pair)
        #expect(outcome.result == .written)
        #expect(outcome.repairedSlots == 4)
        // The hole gets an explicit unknown row, so the slot after it keeps its value.
        #expect(store.rows(of: pair).map(\.time) == [slot - 3600, slot - 3000, slot - 2400, slot - 1800, slot - 1200, slot - 600, slot])
        #expect(store.rows(of: pair).map(\.rate) == [40000, 40995, 40996, nil, 40998, 40999, 41000])
        #expect(log.lines.contains { $0.message.contains("repaired gap of 5 slots: 4 filled from history, 1 left unknown") })
    }

    @Test func repairIsBoundedByTheConfiguredWindow() async {
        store.seed(pair, rows: [.init(time: slot - 30 * 86_400, rate: 40000, bid: nil, ask: nil)])
        let outcome = await collector([StubPriceSource(.coinbase, rate: 40000, observedAt: now)],
                                      history: StubHistory { _ in 40000 }) { $0.gapRepairMaxDays = 1 }.collect(pair)
        #expect(outcome.repairedSlots == 144)
    }

    @Test func storageFailuresAreReportedAsSuch() async {
        store.seed(pair, rows: [])
        store.failWrites = "ERROR: opening '/x/BTC-USD.rrd': No space left on device"
        let outcome = await collector([StubPriceSource(.coinbase, rate: 45000, observedAt: now)]).collect(pair)
        #expect(outcome.errorClass == .storageError)
        #expect(outcome.error?.contains("No space left on device") == true)
    }

    @Test func manyPairsAreCollectedWithinTheConcurrencyBound() async throws {
        let pairs = try (0..<40).map { try CurrencyPair(parsing: "C\($0)-USD") }
        let outcomes = await collector([StubPriceSource(.coinbase, rate: 45000, observedAt: now)]) {
            $0.pairs = pairs
            $0.concurrency = 3
        }.collectAll()
        #expect(outcomes.map(\.pair) == pairs)
        #expect(outcomes.allSatisfy { $0.result == .written })
    }
}
