import BTCRateCore
import Foundation

/// A price source that answers from a closure and counts its calls.
public final class StubPriceSource: PriceSource, @unchecked Sendable {
    public let id: SourceID
    private let lock = NSLock()
    private var answer: @Sendable (CurrencyPair) -> Result<Quote, FetchFailure>
    private var count = 0

    public init(_ id: SourceID, answer: @escaping @Sendable (CurrencyPair) -> Result<Quote, FetchFailure>) {
        self.id = id
        self.answer = answer
    }

    /// A source that always quotes `rate`, stamped `observedAt`.
    public convenience init(_ id: SourceID, rate: Double, bid: Double? = nil, ask: Double? = nil, observedAt: Date) {
        self.init(id) { pair in .success(Quote(pair: pair, rate: rate, bid: bid, ask: ask, observedAt: observedAt, source: id)) }
    }

    /// A source that always fails with `kind`.
    public convenience init(_ id: SourceID, failing kind: FetchFailure.Kind) {
        self.init(id) { _ in .failure(FetchFailure(kind, source: id, detail: "stub \(kind.rawValue)")) }
    }

    public var calls: Int { lock.withLock { count } }

    public func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote {
        let answer = lock.withLock { () -> @Sendable (CurrencyPair) -> Result<Quote, FetchFailure> in
            count += 1
            return self.answer
        }
        return try answer(pair).get()
    }
}

/// History from a closure over slot start times; nil leaves a hole.
public struct StubHistory: HistorySource {
    public let id = SourceID.bitstamp
    public let maxCandlesPerCall: Int
    let price: @Sendable (Int) -> Double?

    public init(maxCandlesPerCall: Int = 1000, price: @escaping @Sendable (Int) -> Double?) {
        self.maxCandlesPerCall = maxCandlesPerCall
        self.price = price
    }

    public func candles(for pair: CurrencyPair, from: Int, to: Int) async throws(FetchFailure) -> [Candle] {
        stride(from: from, through: to, by: 600).prefix(maxCandlesPerCall).compactMap { start in
            price(start).map { Candle(start: start, open: $0, close: $0, low: $0, high: $0) }
        }
    }
}
