@testable import BTCRateCore
import FakePriceServer
import BTCRateTestSupport
import Foundation
import Testing

@Suite struct AlphaVantageTests {
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let source = AlphaVantageSource(baseURL: "http://127.0.0.1:1", apiKey: "SECRETKEY123", http: CannedHTTP([:]))

    @Test func parsesTheDocumentedAnswer() throws {
        let body = """
            {"Realtime Currency Exchange Rate": {"1. From_Currency Code": "BTC", "2. From_Currency Name": "Bitcoin",
             "3. To_Currency Code": "USD", "4. To_Currency Name": "United States Dollar",
             "5. Exchange Rate": "45000.00000000", "6. Last Refreshed": "2024-01-15 12:00:00",
             "7. Time Zone": "UTC", "8. Bid Price": "44995.00000000", "9. Ask Price": "45005.00000000"}}
            """
        let quote = try source.parse(Array(body.utf8), pair: pair)
        #expect(quote.rate == 45000)
        #expect(quote.bid == 44995)
        #expect(quote.ask == 45005)
        #expect(quote.observedAt == Date(timeIntervalSince1970: 1_705_320_000))
        #expect(quote.source == .alphavantage)
    }

    @Test func bidAndAskAreOptional() throws {
        let body = """
            {"Realtime Currency Exchange Rate": {"1. From_Currency Code": "BTC", "3. To_Currency Code": "USD",
             "5. Exchange Rate": "45000.5", "6. Last Refreshed": "2024-01-15 12:00:00", "7. Time Zone": "UTC"}}
            """
        let quote = try source.parse(Array(body.utf8), pair: pair)
        #expect(quote.rate == 45000.5)
        #expect(quote.bid == nil && quote.ask == nil)
    }

    static let classified: [(String, FetchFailure.Kind)] = [
        (AlphaVantageBodies.invalidCall, .invalidCall),
        (AlphaVantageBodies.invalidKey, .invalidKey),
        (AlphaVantageBodies.dailyQuota(key: "SECRETKEY123"), .quotaExhausted),
        (AlphaVantageBodies.dailyQuotaThankYou, .quotaExhausted),
        (AlphaVantageBodies.burst, .burstLimit),
        (AlphaVantageBodies.oldNote, .burstLimit),
        (AlphaVantageBodies.premium, .premiumOnly),
        (AlphaVantageBodies.demo, .demoKey),
        (AlphaVantageBodies.otherInformation, .apiMessage),
        (#"{"Error Message": "Something new went wrong."}"#, .apiMessage),
        (#"{"Note": "A brand-new notice."}"#, .apiMessage),
        (AlphaVantageBodies.notJSON, .malformedBody),
        (AlphaVantageBodies.wrongShape, .malformedBody),
        (AlphaVantageBodies.emptyObject, .malformedBody),
        ("[1,2,3]", .malformedBody),
        (#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "abc", "6. Last Refreshed": "2024-01-15 12:00:00"}}"#, .malformedBody),
        (#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "1.0", "6. Last Refreshed": "yesterday"}}"#, .malformedBody),
        (#"{"Realtime Currency Exchange Rate": {"1. From_Currency Code": "ETH", "3. To_Currency Code": "USD", "5. Exchange Rate": "1.0", "6. Last Refreshed": "2024-01-15 12:00:00"}}"#, .malformedBody),
    ]

    @Test(arguments: classified)
    func classifiesEveryAnswerWithoutData(body: String, kind: FetchFailure.Kind) {
        #expect(throws: FetchFailure.self) { try source.parse(Array(body.utf8), pair: pair) }
        do {
            _ = try source.parse(Array(body.utf8), pair: pair)
        } catch {
            #expect(error.kind == kind)
            #expect(!error.detail.contains("SECRETKEY123"))
            #expect(!error.description.contains("SECRETKEY123"))
        }
    }

    /// Configured with the key "demo", the demo-key message is still recognised:
    /// classification reads the raw text, only the kept detail is redacted.
    @Test func theDemoKeyIsRecognisedWhenItIsTheConfiguredKey() {
        let demo = AlphaVantageSource(baseURL: "http://x", apiKey: "demo", http: CannedHTTP([:]))
        do {
            _ = try demo.parse(Array(AlphaVantageBodies.demo.utf8), pair: pair)
            Issue.record("expected failure")
        } catch { #expect(error.kind == .demoKey) }
    }

    @Test func theEchoedKeyIsRedactedEvenWhenItIsNotTheConfiguredOne() {
        let other = AlphaVantageSource(baseURL: "http://x", apiKey: "MYKEY", http: CannedHTTP([:]))
        do {
            _ = try other.parse(Array(AlphaVantageBodies.dailyQuota(key: "SOMEOTHERKEY99").utf8), pair: pair)
            Issue.record("expected a failure")
        } catch {
            #expect(!error.detail.contains("SOMEOTHERKEY99"))
            #expect(error.detail.contains(Redactor.mask))
        }
    }

    @Test func withoutAKeyItAsksNobody() async {
        let http = CannedHTTP([:])
        let keyless = AlphaVantageSource(baseURL: "http://x", apiKey: nil, http: http)
        await #expect(throws: FetchFailure(.noKey, source: .alphavantage, detail: "no Alpha Vantage key configured")) {
            try await keyless.latestQuote(for: pair)
        }
        #expect(http.requested.isEmpty)
    }

    @Test func httpStatusesAndTransportFailuresAreClassifiedAndRedacted() async {
        let url = "http://x/query?function=CURRENCY_EXCHANGE_RATE&from_currency=BTC&to_currency=USD&apikey=SECRETKEY123"
        let cases: [(CannedHTTP.Answer, FetchFailure.Kind)] = [
            (.status(500, "oops SECRETKEY123"), .httpError),
            (.status(429, ""), .rateLimited),
            (.failure(.init(kind: .timeout, detail: "Operation timed out for apikey=SECRETKEY123")), .timeout),
            (.failure(.init(kind: .connectionFailed, detail: "refused")), .connectionFailed),
            (.failure(.init(kind: .bodyTooLarge, detail: "too big")), .bodyTooLarge),
        ]
        for (answer, kind) in cases {
            let source = AlphaVantageSource(baseURL: "http://x", apiKey: "SECRETKEY123", http: CannedHTTP([url: answer]))
            do {
                _ = try await source.latestQuote(for: pair)
                Issue.record("expected \(kind)")
            } catch {
                #expect(error.kind == kind)
                #expect(!error.description.contains("SECRETKEY123"))
            }
        }
    }
}
