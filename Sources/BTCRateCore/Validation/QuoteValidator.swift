import FoundationEssentials
import Glibc

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
        try checkClock(quote, now: now)
        let age = now.timeIntervalSince(quote.observedAt)
        if age > policy.maxAge {
            throw FetchFailure(.staleQuote, source: source,
                               detail: "quote from \(Timestamp.iso8601(Int(quote.observedAt.timeIntervalSince1970))) is \(Int(age)) s old; the limit is \(Int(policy.maxAge)) s")
        }
        if -age > policy.futureTolerance {
            throw FetchFailure(.futureQuote, source: source,
                               detail: "quote claims \(Timestamp.iso8601(Int(quote.observedAt.timeIntervalSince1970))), \(Int(-age)) s ahead of this machine's clock\(quote.serverDate == nil ? "" : ", which the answer's Date header confirms: the source's data is wrong, not this clock")")
        }
    }

    /// This machine's clock against the source's, before any age check: a wrong
    /// local clock must refuse quotes, never put them into wrong slots.
    ///
    /// The source's clock is its answer's `Date` header. An answer without one is
    /// judged by the quote's own timestamp, when that is ahead of this clock (a
    /// quote older than ours is normal and is `stale_quote`'s business). A source
    /// with no timestamp of its own (Kraken) and no `Date` header cannot vouch for
    /// the clock at all, so its quote is refused too.
    func checkClock(_ quote: Quote, now: Date) throws(FetchFailure) {
        let ours = Int(now.timeIntervalSince1970.rounded(.down))
        let tolerance = Int(policy.clockTolerance)
        let name = quote.source.displayName
        if let serverDate = quote.serverDate {
            let theirs = Int(serverDate.timeIntervalSince1970.rounded(.down))
            guard abs(ours - theirs) > tolerance else { return }
            throw FetchFailure(.clockSkew, source: quote.source, detail: Self.skew(ours: ours, theirs: theirs, whose: "\(name)'s Date header", tolerance: tolerance))
        }
        guard quote.hasOwnTimestamp else {
            throw FetchFailure(.clockSkew, source: quote.source,
                               detail: "\(name)'s answer has neither a timestamp of its own nor a Date header, so this machine's clock (\(Timestamp.iso8601(ours))) cannot be checked against it")
        }
        let theirs = Int(quote.observedAt.timeIntervalSince1970.rounded(.down))
        if theirs - ours > tolerance {
            throw FetchFailure(.clockSkew, source: quote.source, detail: Self.skew(ours: ours, theirs: theirs, whose: "\(name)'s quote timestamp", tolerance: tolerance))
        }
    }

    /// "this machine's clock reads A, Kraken's Date header says B: this clock is 3 d 0 h ahead (tolerance 120 s)"
    static func skew(ours: Int, theirs: Int, whose: String, tolerance: Int) -> String {
        let direction = ours > theirs ? "ahead" : "behind"
        return "this machine's clock reads \(Timestamp.iso8601(ours)), \(whose) says \(Timestamp.iso8601(theirs)): this clock is \(Timestamp.span(ours - theirs)) \(direction) (validation.clock_tolerance is \(tolerance) s); nothing is written until they agree"
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
