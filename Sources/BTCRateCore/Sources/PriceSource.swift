/// A place that reports the current rate of a pair.
public protocol PriceSource: Sendable {
    var id: SourceID { get }
    func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote
}

/// A place that reports 10-minute history, for gap repair and backfill.
public protocol HistorySource: Sendable {
    var id: SourceID { get }
    /// The most candles one call returns; longer ranges are paged by the caller.
    var maxCandlesPerCall: Int { get }
    /// Candles whose start lies in `from...to` (Unix seconds, slot-aligned), oldest first.
    func candles(for pair: CurrencyPair, from: Int, to: Int) async throws(FetchFailure) -> [Candle]
}
