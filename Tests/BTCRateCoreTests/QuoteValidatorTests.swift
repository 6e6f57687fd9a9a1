import BTCRateCore
import Foundation
import Testing

@Suite struct QuoteValidatorTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let now = Date(timeIntervalSince1970: 1_705_320_037)
    let validator = QuoteValidator(policy: ValidationPolicy())

    func quote(_ rate: Double, bid: Double? = nil, ask: Double? = nil, age: Double = 10) -> Quote {
        Quote(pair: pair, rate: rate, bid: bid, ask: ask, observedAt: now.addingTimeInterval(-age), source: .coinbase)
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
