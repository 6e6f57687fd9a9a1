import Foundation

/// Decides whether a quote may be written. A refused quote is never written;
/// the reason goes to the journal and the run record.
public struct QuoteValidator: Sendable {
    public let policy: ValidationPolicy

    public init(policy: ValidationPolicy) {
        self.policy = policy
    }

    /// Checks that need nothing but the quote and the clock.
    public func check(_ quote: Quote, now: Date) throws(FetchFailure) {
        let source = quote.source
        for (name, value) in [("rate", quote.rate), ("bid", quote.bid), ("ask", quote.ask)] {
            if let value, !value.isFinite {
                throw FetchFailure(.notFinite, source: source, detail: "\(name) is \(value)")
            }
        }
        guard quote.rate > 0 else {
            throw FetchFailure(.outOfBounds, source: source, detail: "rate \(quote.rate) is not positive")
        }
        guard (policy.minRate...policy.maxRate).contains(quote.rate) else {
            throw FetchFailure(.outOfBounds, source: source,
                               detail: "rate \(quote.rate) outside \(policy.minRate)...\(policy.maxRate)")
        }
        for (name, value) in [("bid", quote.bid), ("ask", quote.ask)] {
            if let value, value <= 0 {
                throw FetchFailure(.outOfBounds, source: source, detail: "\(name) \(value) is not positive")
            }
        }
        if let bid = quote.bid, let ask = quote.ask, bid > ask {
            throw FetchFailure(.bidAboveAsk, source: source, detail: "bid \(bid) > ask \(ask)")
        }
        // A source's own clock is parsed from its answer: check it before any
        // arithmetic, so that NaN never passes the age checks and huge values never trap.
        let observed = quote.observedAt.timeIntervalSince1970
        guard observed.isFinite, (0...JSONDocument.latestTime).contains(observed) else {
            throw FetchFailure(.malformedBody, source: source, detail: "the quote's time \(observed) is not a plausible Unix time")
        }
        let age = now.timeIntervalSince(quote.observedAt)
        if age > policy.maxAge {
            throw FetchFailure(.staleQuote, source: source,
                               detail: "quote from \(Timestamp.iso8601(Int(quote.observedAt.timeIntervalSince1970))) is \(Int(age)) s old; the limit is \(Int(policy.maxAge)) s")
        }
        if -age > policy.futureTolerance {
            throw FetchFailure(.futureQuote, source: source,
                               detail: "quote claims \(Timestamp.iso8601(Int(quote.observedAt.timeIntervalSince1970))), \(Int(-age)) s ahead of this machine's clock")
        }
    }

    /// True when moving from `last` to `rate` needs confirmation by a second source.
    public func isJump(from last: Double?, to rate: Double) -> Bool {
        guard let last, last > 0 else { return false }
        return abs(rate - last) / last > policy.maxJump
    }

    /// True when `confirmation` agrees with `rate` closely enough.
    public func confirms(_ confirmation: Double, _ rate: Double) -> Bool {
        abs(confirmation - rate) / rate <= policy.confirmTolerance
    }

    /// Candles from history get the same bounds checks as live quotes.
    public func isPlausible(_ candle: Candle) -> Bool {
        let values = [candle.open, candle.close, candle.low, candle.high]
        return values.allSatisfy { $0.isFinite && (policy.minRate...policy.maxRate).contains($0) }
            && candle.low <= candle.high
    }
}
