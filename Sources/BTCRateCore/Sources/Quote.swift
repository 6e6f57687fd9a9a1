import FoundationEssentials
import Glibc

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
    /// When the source says the rate was current (for a source without a
    /// timestamp of its own, when its answer was sent or arrived).
    public let observedAt: Date
    public let source: SourceID
    /// The source's clock when it answered: its `Date` header, if it sent one.
    public let serverDate: Date?
    /// False when `observedAt` is not the source's own statement (Kraken's ticker
    /// has no timestamp): then only `serverDate` can vouch for this machine's clock.
    public let hasOwnTimestamp: Bool

    public init(pair: CurrencyPair, rate: Double, bid: Double?, ask: Double?, observedAt: Date, source: SourceID,
                serverDate: Date? = nil, hasOwnTimestamp: Bool = true) {
        self.pair = pair
        self.rate = rate
        self.bid = bid
        self.ask = ask
        self.observedAt = observedAt
        self.source = source
        self.serverDate = serverDate
        self.hasOwnTimestamp = hasOwnTimestamp
    }

    /// The same quote, with the answer's `Date` header attached.
    public func answered(at serverDate: Date?) -> Quote {
        Quote(pair: pair, rate: rate, bid: bid, ask: ask, observedAt: observedAt, source: source,
              serverDate: serverDate, hasOwnTimestamp: hasOwnTimestamp)
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
