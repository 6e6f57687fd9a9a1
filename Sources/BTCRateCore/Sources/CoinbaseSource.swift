import FoundationEssentials
import Glibc

/// Coinbase Exchange's public ticker: `/products/BTC-USD/ticker`, no key needed.
public struct CoinbaseSource: PriceSource {
    public let id = SourceID.coinbase
    private let baseURL: String
    private let http: any HTTPFetching

    public init(baseURL: String, http: any HTTPFetching) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.http = http
    }

    public func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote {
        let answer = try await http.fetchOK("\(baseURL)/products/\(pair.base)-\(pair.quote)/ticker", source: id)
        return try parse(answer.body, pair: pair).answered(at: answer.date)
    }

    func parse(_ body: [UInt8], pair: CurrencyPair) throws(FetchFailure) -> Quote {
        let object = try JSONDocument.object(body, source: id)
        if let message = object["message"] as? String {
            throw FetchFailure(message.lowercased().contains("notfound") || message.lowercased().contains("not found")
                               ? .unsupportedPair : .apiMessage, source: id, detail: message)
        }
        guard let price = JSONDocument.number(object["price"]) else {
            throw JSONDocument.malformed(id, "\"price\" missing or not a number")
        }
        guard let timeText = object["time"] as? String, let time = Self.parseTime(timeText) else {
            throw JSONDocument.malformed(id, "\"time\" missing or not ISO 8601")
        }
        return Quote(pair: pair, rate: price, bid: JSONDocument.number(object["bid"]),
                     ask: JSONDocument.number(object["ask"]), observedAt: time, source: id)
    }

    /// "2024-01-15T12:00:01.123Z", with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
