@testable import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

@Suite struct ExchangeSourceTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let now = Date(timeIntervalSince1970: 1_705_320_037)

    @Test func coinbaseTicker() throws {
        let body = #"{"trade_id":1,"price":"45000.10","size":"0.1","bid":"44999.00","ask":"45001.00","volume":"1","time":"2024-01-15T12:00:01.123Z"}"#
        let quote = try CoinbaseSource(baseURL: "http://x", http: CannedHTTP([:])).parse(Array(body.utf8), pair: pair)
        #expect(quote.rate == 45000.10 && quote.bid == 44999 && quote.ask == 45001)
        #expect(abs(quote.observedAt.timeIntervalSince1970 - 1_705_320_001.123) < 0.001)
    }

    @Test func coinbaseErrors() {
        let source = CoinbaseSource(baseURL: "http://x", http: CannedHTTP([:]))
        #expect(throws: FetchFailure.self) { try source.parse(Array(#"{"message":"NotFound"}"#.utf8), pair: pair) }
        #expect(throws: FetchFailure.self) { try source.parse(Array(#"{"price":"1"}"#.utf8), pair: pair) }
    }

    @Test func krakenTickerTakesItsOneResultWhateverItsName() throws {
        let body = #"{"error":[],"result":{"XXBTZUSD":{"a":["45001.0","1","1.000"],"b":["44999.0","1","1.000"],"c":["45000.0","0.1"]}}}"#
        let quote = try KrakenSource(baseURL: "http://x", http: CannedHTTP([:]), clock: ManualClock(now))
            .parse(Array(body.utf8), pair: pair, receivedAt: now)
        #expect(quote.rate == 45000 && quote.bid == 44999 && quote.ask == 45001 && quote.observedAt == now)
        #expect(KrakenSource.krakenCode("BTC") == "XBT")
    }

    @Test func krakenIsTimedByItsDateHeader() async throws {
        let body = #"{"error":[],"result":{"XXBTZUSD":{"a":["45001.0","1","1.000"],"b":["44999.0","1","1.000"],"c":["45000.0","0.1"]}}}"#
        let http = CannedHTTP(["http://x/0/public/Ticker?pair=XBTUSD": .status(200, body)])
        let serverDate = now.addingTimeInterval(-3 * 86_400)
        http.setDate(serverDate)
        // This clock (`now`) is 3 days ahead of Kraken's: its Date header stands in for a timestamp.
        let quote = try await KrakenSource(baseURL: "http://x", http: http, clock: ManualClock(now)).latestQuote(for: pair)
        #expect(quote.observedAt == serverDate && quote.serverDate == serverDate && !quote.hasOwnTimestamp)
        let validator = QuoteValidator(policy: ValidationPolicy())
        #expect(throws: FetchFailure.self) { try validator.check(quote, now: now) }
    }

    @Test func everyLiveSourceKeepsTheDateHeader() async throws {
        let http = CannedHTTP([
            "http://x/products/BTC-USD/ticker": .status(200, #"{"price":"45000","time":"2024-01-15T12:00:01Z"}"#),
            "http://x/api/v2/ticker/btcusd/": .status(200, #"{"last":"45000","timestamp":"1705320001"}"#),
            "http://x/query?function=CURRENCY_EXCHANGE_RATE&from_currency=BTC&to_currency=USD&apikey=K": .status(200, #"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "45000", "6. Last Refreshed": "2024-01-15 12:00:00", "7. Time Zone": "UTC"}}"#),
        ])
        http.setDate(now)
        let sources: [any PriceSource] = [CoinbaseSource(baseURL: "http://x", http: http), BitstampSource(baseURL: "http://x", http: http),
                                          AlphaVantageSource(baseURL: "http://x", apiKey: "K", http: http)]
        for source in sources {
            let quote = try await source.latestQuote(for: pair)
            #expect(quote.serverDate == now && quote.hasOwnTimestamp, "\(source.id)")
        }
    }

    @Test func krakenErrorsAreClassified() {
        let source = KrakenSource(baseURL: "http://x", http: CannedHTTP([:]), clock: ManualClock(now))
        do {
            _ = try source.parse(Array(#"{"error":["EQuery:Unknown asset pair"]}"#.utf8), pair: pair, receivedAt: now)
            Issue.record("expected failure")
        } catch { #expect(error.kind == .unsupportedPair) }
        do {
            _ = try source.parse(Array(#"{"error":["EGeneral:Temporary lockout"]}"#.utf8), pair: pair, receivedAt: now)
            Issue.record("expected failure")
        } catch { #expect(error.kind == .apiMessage) }
    }

    @Test func bitstampTickerAndHistory() throws {
        let source = BitstampSource(baseURL: "http://x", http: CannedHTTP([:]))
        let ticker = #"{"high":"1","last":"45000.5","timestamp":"1705320001","bid":"45000","vwap":"1","volume":"1","low":"1","ask":"45001","open":"1"}"#
        let quote = try source.parseTicker(Array(ticker.utf8), pair: pair)
        #expect(quote.rate == 45000.5 && quote.observedAt == Date(timeIntervalSince1970: 1_705_320_001))
        let history = #"{"data":{"pair":"BTC/USD","ohlc":[{"timestamp":"1705320600","open":"2","high":"3","low":"1","close":"2.5","volume":"1"},{"timestamp":"1705320000","open":"1","high":"2","low":"0.5","close":"2","volume":"1"}]}}"#
        let candles = try source.parseCandles(Array(history.utf8))
        #expect(candles.map(\.start) == [1_705_320_000, 1_705_320_600])
        #expect(candles[0].open == 1)
        #expect(throws: FetchFailure.self) { try source.parseCandles(Array(#"{"status":"error","reason":"nope"}"#.utf8)) }
    }

    /// Hostile numbers in a Bitstamp answer are malformed bodies, never a trap on Int().
    @Test func bitstampTimestampsMustBeUnixTimes() throws {
        let source = BitstampSource(baseURL: "http://x", http: CannedHTTP([:]))
        for stamp in [#""nan""#, #""inf""#, "1e300", "-5", #""1e19""#] {
            let ticker = #"{"last":"45000.5","timestamp":"# + stamp + "}"
            do {
                _ = try source.parseTicker(Array(ticker.utf8), pair: pair)
                Issue.record("accepted timestamp \(stamp)")
            } catch { #expect(error.kind == .malformedBody) }
            let history = #"{"data":{"ohlc":[{"timestamp":"# + stamp + #","open":"1","high":"2","low":"0.5","close":"2"}]}}"#
            do {
                _ = try source.parseCandles(Array(history.utf8))
                Issue.record("accepted candle timestamp \(stamp)")
            } catch { #expect(error.kind == .malformedBody) }
        }
    }

    @Test func historyRequestsNameTheTenMinuteStep() async throws {
        let url = "http://x/api/v2/ohlc/btcusd/?step=600&limit=3&start=1705320000&end=1705321200"
        let http = CannedHTTP([url: .status(200, #"{"data":{"ohlc":[]}}"#)])
        _ = try await BitstampSource(baseURL: "http://x/", http: http).candles(for: pair, from: 1_705_320_000, to: 1_705_321_200)
        #expect(http.requested == [url])
    }
}
