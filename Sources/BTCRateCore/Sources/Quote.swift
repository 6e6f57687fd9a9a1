import Foundation

/// Where a sample came from. The raw values appear in the journal
/// (`BTCRATE_SOURCE`), the run record and the graph page.
public enum SourceID: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case alphavantage
    case coinbase
    case kraken
    case bitstamp

    public var description: String { rawValue }

    public var displayName: String {
        switch self {
        case .alphavantage: "Alpha Vantage"
        case .coinbase: "Coinbase Exchange"
        case .kraken: "Kraken"
        case .bitstamp: "Bitstamp"
        }
    }
}

/// One observed exchange rate, as a source reported it, before validation.
public struct Quote: Sendable, Equatable {
    public let pair: CurrencyPair
    public let rate: Double
    public let bid: Double?
    public let ask: Double?
    /// When the source says the rate was current.
    public let observedAt: Date
    public let source: SourceID

    public init(pair: CurrencyPair, rate: Double, bid: Double?, ask: Double?, observedAt: Date, source: SourceID) {
        self.pair = pair
        self.rate = rate
        self.bid = bid
        self.ask = ask
        self.observedAt = observedAt
        self.source = source
    }
}

/// One 10-minute candle of history, used to repair gaps and seed new files.
public struct Candle: Sendable, Equatable {
    /// Unix time of the candle's start.
    public let start: Int
    public let open: Double
    public let close: Double
    public let low: Double
    public let high: Double

    public init(start: Int, open: Double, close: Double, low: Double, high: Double) {
        self.start = start
        self.open = open
        self.close = close
        self.low = low
        self.high = high
    }
}
