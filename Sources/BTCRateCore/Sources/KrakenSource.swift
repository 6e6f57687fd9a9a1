import FoundationEssentials
import Glibc

/// Kraken's public ticker: `/0/public/Ticker?pair=XBTUSD`, no key needed.
///
/// Kraken calls bitcoin XBT and answers under its own long pair name
/// (`XXBTZUSD`), so the result's single entry is taken whatever its key. Its
/// ticker carries no timestamp: its answer's `Date` header stands in for it.
public struct KrakenSource: PriceSource {
    public let id = SourceID.kraken
    private let baseURL: String
    private let http: any HTTPFetching
    private let clock: any WallClock

    public init(baseURL: String, http: any HTTPFetching, clock: any WallClock) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.http = http
        self.clock = clock
    }

    static func krakenCode(_ code: String) -> String { code == "BTC" ? "XBT" : code }

    public func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote {
        let name = Self.krakenCode(pair.base) + Self.krakenCode(pair.quote)
        let answer = try await http.fetchOK("\(baseURL)/0/public/Ticker?pair=\(name)", source: id)
        return try parse(answer.body, pair: pair, receivedAt: clock.now(), serverDate: answer.date)
    }

    /// With no timestamp in the ticker, the answer's `Date` header (the source's own
    /// clock) stands in for one; without that, the time it arrived. Validation then
    /// judges this machine's clock by the `Date` header alone.
    func parse(_ body: [UInt8], pair: CurrencyPair, receivedAt: Date, serverDate: Date? = nil) throws(FetchFailure) -> Quote {
        let object = try JSONDocument.object(body, source: id)
        if let errors = object["error"] as? [String], let first = errors.first {
            throw FetchFailure(first.contains("Unknown asset pair") ? .unsupportedPair : .apiMessage,
                               source: id, detail: errors.joined(separator: "; "))
        }
        guard let result = object["result"] as? [String: Any], result.count == 1,
              let ticker = result.values.first as? [String: Any] else {
            throw JSONDocument.malformed(id, "\"result\" is not one ticker")
        }
        func first(_ key: String) -> Double? {
            (ticker[key] as? [Any]).flatMap { JSONDocument.number($0.first) }
        }
        guard let last = first("c") else {
            throw JSONDocument.malformed(id, "\"c\" (last trade) missing or not a number")
        }
        return Quote(pair: pair, rate: last, bid: first("b"), ask: first("a"), observedAt: serverDate ?? receivedAt,
                     source: id, serverDate: serverDate, hasOwnTimestamp: false)
    }
}
