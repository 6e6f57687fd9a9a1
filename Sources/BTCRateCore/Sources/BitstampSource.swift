import FoundationEssentials
import Glibc

/// Bitstamp's public API: the ticker for live quotes, and `ohlc` with
/// `step=600`, which returns 10-minute candles, for gap repair and backfill.
public struct BitstampSource: PriceSource, HistorySource {
    public let id = SourceID.bitstamp
    public let maxCandlesPerCall = 1000
    private let baseURL: String
    private let http: any HTTPFetching

    public init(baseURL: String, http: any HTTPFetching) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.http = http
    }

    private func market(_ pair: CurrencyPair) -> String { (pair.base + pair.quote).lowercased() }

    public func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote {
        let answer = try await http.fetchOK("\(baseURL)/api/v2/ticker/\(market(pair))/", source: id)
        return try parseTicker(answer.body, pair: pair).answered(at: answer.date)
    }

    func parseTicker(_ body: [UInt8], pair: CurrencyPair) throws(FetchFailure) -> Quote {
        let object = try JSONDocument.object(body, source: id)
        try throwIfError(object)
        guard let last = JSONDocument.number(object["last"]) else {
            throw JSONDocument.malformed(id, "\"last\" missing or not a number")
        }
        guard let stamp = JSONDocument.unixTime(object["timestamp"]) else {
            throw JSONDocument.malformed(id, "\"timestamp\" missing or not a Unix time")
        }
        return Quote(pair: pair, rate: last, bid: JSONDocument.number(object["bid"]),
                     ask: JSONDocument.number(object["ask"]),
                     observedAt: Date(timeIntervalSince1970: stamp), source: id)
    }

    public func candles(for pair: CurrencyPair, from: Int, to: Int) async throws(FetchFailure) -> [Candle] {
        let limit = min(maxCandlesPerCall, max(1, (to - from) / Slot.seconds + 1))
        let url = "\(baseURL)/api/v2/ohlc/\(market(pair))/?step=\(Slot.seconds)&limit=\(limit)&start=\(from)&end=\(to)"
        let answer = try await http.fetchOK(url, source: id)
        return try parseCandles(answer.body).filter { (from...to).contains($0.start) }
    }

    func parseCandles(_ body: [UInt8]) throws(FetchFailure) -> [Candle] {
        let object = try JSONDocument.object(body, source: id)
        try throwIfError(object)
        guard let data = object["data"] as? [String: Any], let rows = data["ohlc"] as? [[String: Any]] else {
            throw JSONDocument.malformed(id, "no data.ohlc array")
        }
        var candles: [Candle] = []
        for row in rows {
            guard let start = JSONDocument.unixTime(row["timestamp"]),
                  let open = JSONDocument.number(row["open"]), let close = JSONDocument.number(row["close"]),
                  let low = JSONDocument.number(row["low"]), let high = JSONDocument.number(row["high"]) else {
                throw JSONDocument.malformed(id, "an ohlc row lacks a Unix-time timestamp, or open/high/low/close")
            }
            candles.append(Candle(start: Int(start), open: open, close: close, low: low, high: high))
        }
        return candles.sorted { $0.start < $1.start }
    }

    private func throwIfError(_ object: [String: Any]) throws(FetchFailure) {
        if let status = object["status"] as? String, status == "error" {
            let reason = object["reason"].map { "\($0)" } ?? "no reason given"
            throw FetchFailure(.apiMessage, source: id, detail: reason)
        }
        if let code = object["code"] as? String, let message = object["message"] {
            throw FetchFailure(.apiMessage, source: id, detail: "\(code): \(message)")
        }
    }
}
