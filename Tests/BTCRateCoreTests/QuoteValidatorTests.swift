import BTCRateCore
import Foundation
import Testing

@Suite struct QuoteValidatorTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let now = Date(timeIntervalSince1970: 1_705_320_037)
    let validator = QuoteValidator(policy: ValidationPolicy())

    /// `serverSkew`: the answer's Date header, that many seconds from `now`; nil: no header.
    func quote(_ rate: Double, bid: Double? = nil, ask: Double? = nil, age: Double = 10, serverSkew: Double? = 0) -> Quote {
        Quote(pair: pair, rate: rate, bid: bid, ask: ask, observedAt: now.addingTimeInterval(-age), source: .coinbase,
              serverDate: serverSkew.map { now.addingTimeInterval($0) })
    }

    func failure(_ quote: Quote) -> FetchFailure? {
        do { try validator.check(quote, now: now); return nil } catch { return error }
    }

    func kind(_ quote: Quote) -> FetchFailure.Kind? {
        do { try validator.check(quote, now: now); return nil } catch { return error.kind }
    }

    @Test func acceptsAPlausibleQuote() {
        #expect(kind(quote(45000, bid: 44990, ask: 45010)) == nil)
    }

    @Test func refusesWhatMustNeverBeWritten() {
        #expect(kind(quote(.nan)) == .notFinite)
        #expect(kind(quote(.infinity)) == .notFinite)
        #expect(kind(quote(45000, bid: .nan)) == .notFinite)
        #expect(kind(quote(0)) == .outOfBounds)
        #expect(kind(quote(-5)) == .outOfBounds)
        #expect(kind(quote(999)) == .outOfBounds)
        #expect(kind(quote(20_000_000)) == .outOfBounds)
        #expect(kind(quote(45000, bid: -1)) == .outOfBounds)
        #expect(kind(quote(45000, bid: 45010, ask: 44990)) == .bidAboveAsk)
        #expect(kind(quote(45000, age: 1801)) == .staleQuote)
        #expect(kind(quote(45000, age: -121)) == .futureQuote)
    }

    @Test func aDateHeaderThatDisagreesWithThisClockRefusesTheQuote() throws {
        // This clock 3 days ahead of the source's: the quote's own time is then 3 days "old" too,
        // but the class names the cause.
        let ahead = try #require(failure(quote(45000, age: 3 * 86_400, serverSkew: -3 * 86_400)))
        #expect(ahead.kind == .clockSkew)
        #expect(ahead.detail.contains("this machine's clock reads 2024-01-15T12:00:37Z"))
        #expect(ahead.detail.contains("Coinbase Exchange's Date header says 2024-01-12T12:00:37Z"))
        #expect(ahead.detail.contains("3 d 0 h ahead"))
        // Two hours behind.
        let behind = try #require(failure(quote(45000, age: -7200, serverSkew: 7200)))
        #expect(behind.kind == .clockSkew)
        #expect(behind.detail.contains("2 h 0 min behind"))
        // Within validation.clock_tolerance (2 minutes) is fine.
        #expect(kind(quote(45000, serverSkew: 119)) == nil)
        #expect(kind(quote(45000, serverSkew: -119)) == nil)
        #expect(kind(quote(45000, serverSkew: 121)) == .clockSkew)
    }

    @Test func withoutADateHeaderTheQuotesOwnTimestampIsTheSourcesClock() {
        #expect(kind(quote(45000, serverSkew: nil)) == nil)
        #expect(kind(quote(45000, age: -121, serverSkew: nil)) == .clockSkew)
        // An old quote may be old data, not a wrong clock.
        #expect(kind(quote(45000, age: 1801, serverSkew: nil)) == .staleQuote)
    }

    @Test func aSourceWithoutATimestampIsJudgedByItsDateHeaderAlone() {
        func kraken(serverSkew: Double?) -> Quote {
            Quote(pair: pair, rate: 45000, bid: nil, ask: nil, observedAt: now, source: .kraken,
                  serverDate: serverSkew.map { now.addingTimeInterval($0) }, hasOwnTimestamp: false)
        }
        #expect(kind(kraken(serverSkew: 1)) == nil)
        #expect(kind(kraken(serverSkew: 3 * 86_400)) == .clockSkew)
        #expect(failure(kraken(serverSkew: nil))?.detail.contains("neither a timestamp of its own nor a Date header") == true)
    }

    @Test func aQuoteWithAnImpossibleTimeIsRefusedNotTrapped() {
        for time in [Double.nan, .infinity, -.infinity, 1e300, -1] {
            let quote = Quote(pair: pair, rate: 45000, bid: nil, ask: nil, observedAt: Date(timeIntervalSince1970: time), source: .bitstamp)
            #expect(kind(quote) == .malformedBody, "\(time)")
        }
    }

    @Test func toleratesSmallClockSkew() {
        #expect(kind(quote(45000, age: -60)) == nil)
        #expect(kind(quote(45000, age: 1799)) == nil)
    }

    @Test func jumpsNeedConfirmation() {
        #expect(validator.isJump(from: 40000, to: 45000))
        #expect(!validator.isJump(from: 40000, to: 43000))
        #expect(!validator.isJump(from: nil, to: 45000))
        #expect(validator.confirms(45100, 45000))
        #expect(!validator.confirms(40000, 45000))
    }
}
