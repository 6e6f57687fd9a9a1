import FoundationEssentials
import Glibc

/// Asks each source at most once per pair and run, so that a source used to
/// confirm a jump is not asked again when its own turn comes.
struct QuoteCache {
    let sources: [any PriceSource]
    let pair: CurrencyPair
    private var answers: [Int: Result<Quote, FetchFailure>] = [:]

    init(sources: [any PriceSource], pair: CurrencyPair) {
        self.sources = sources
        self.pair = pair
    }

    mutating func quote(at index: Int) async -> Result<Quote, FetchFailure> {
        if let known = answers[index] { return known }
        let answer: Result<Quote, FetchFailure>
        do {
            answer = .success(try await sources[index].latestQuote(for: pair))
        } catch {
            answer = .failure(error)
        }
        answers[index] = answer
        return answer
    }

    /// Whether any source gives a quote that passes validation now. Asks in
    /// order and stops at the first; the answers stay cached for the run.
    mutating func anyValid(validator: QuoteValidator, now: Date) async -> Bool {
        for index in sources.indices {
            if case .success(let candidate) = await quote(at: index), (try? validator.check(candidate, now: now)) != nil {
                return true
            }
        }
        return false
    }

    /// The first later source whose valid quote agrees with `quote`, if any.
    mutating func confirmation(of quote: Quote, after index: Int, validator: QuoteValidator, now: Date) async -> SourceID? {
        for other in sources.indices where other > index {
            guard case .success(let candidate) = await self.quote(at: other),
                  (try? validator.check(candidate, now: now)) != nil else { continue }
            return validator.confirms(candidate.rate, quote.rate) ? candidate.source : nil
        }
        return nil
    }
}
