/// Why a source gave no usable quote. Every case has a stable class name, which
/// the journal carries as `BTCRATE_ERROR_CLASS`, the run record stores, and the
/// watchdog alerts on. None of them ever writes a point.
public struct FetchFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        // Alpha Vantage answers with HTTP 200 and a message instead of data.
        case quotaExhausted = "quota_exhausted"
        case burstLimit = "burst_limit"
        case invalidKey = "invalid_key"
        case invalidCall = "invalid_call"
        case premiumOnly = "premium_only"
        case demoKey = "demo_key"
        case apiMessage = "api_message"
        case noKey = "no_key"
        // The answer itself is unusable.
        case malformedBody = "malformed_body"
        case httpError = "http_error"
        case rateLimited = "rate_limited"
        case timeout = "timeout"
        case connectionFailed = "connection_failed"
        case transferFailed = "transfer_failed"
        case bodyTooLarge = "body_too_large"
        case unsupportedPair = "unsupported_pair"
        // Validation refused the data.
        case notFinite = "not_finite"
        case outOfBounds = "out_of_bounds"
        case bidAboveAsk = "bid_above_ask"
        case staleQuote = "stale_quote"
        case futureQuote = "future_quote"
        case unconfirmedJump = "unconfirmed_jump"
        /// The source's clock (its Date header, or its own timestamp) and this
        /// machine's differ by more than `validation.clock_tolerance`.
        case clockSkew = "clock_skew"
        // Local problems.
        /// The RRD file already holds a sample for a slot after the current one:
        /// this clock is behind, or was ahead when that sample was written.
        case clockBehind = "clock_behind"
        case storageError = "storage_error"
        /// rrdcached did not answer within `storage.rrdcached_timeout`.
        case storageTimeout = "storage_timeout"
    }

    public let kind: Kind
    public let source: SourceID?
    /// A one-line explanation, already free of secrets.
    public let detail: String

    public init(_ kind: Kind, source: SourceID?, detail: String) {
        self.kind = kind
        self.source = source
        self.detail = detail
    }

    /// The journal message for this class: what happened, in an operator's words.
    public var summary: String {
        let name = source?.displayName ?? "source"
        switch kind {
        case .quotaExhausted: return "\(name) daily request quota is used up (the free key allows 25 a day)"
        case .burstLimit: return "\(name) burst limit hit (the free key allows 1 request a second)"
        case .invalidKey: return "\(name) rejected the API key as invalid or missing"
        case .invalidCall: return "\(name) called this an invalid API call (check the pair)"
        case .premiumOnly: return "\(name) says this endpoint needs a premium key"
        case .demoKey: return "\(name) refuses the demo key for this pair"
        case .apiMessage: return "\(name) answered with a message instead of a rate"
        case .noKey: return "\(name) skipped: no API key is configured"
        case .malformedBody: return "\(name) answered with a body that is not the expected JSON"
        case .httpError: return "\(name) answered with an HTTP error"
        case .rateLimited: return "\(name) is rate-limiting us (HTTP 429)"
        case .timeout: return "\(name) did not answer in time"
        case .connectionFailed: return "\(name) could not be reached"
        case .transferFailed: return "\(name) broke off the transfer"
        case .bodyTooLarge: return "\(name) sent a body larger than the configured cap"
        case .unsupportedPair: return "\(name) does not list this pair"
        case .notFinite: return "\(name) sent a rate that is not a finite number"
        case .outOfBounds: return "\(name) sent a rate outside the configured sanity bounds"
        case .bidAboveAsk: return "\(name) sent a bid above its ask"
        case .staleQuote: return "\(name) sent a stale quote"
        case .futureQuote: return "\(name) sent a quote from the future (check the system clock)"
        case .unconfirmedJump: return "\(name) sent a jump no second source confirmed"
        case .clockSkew: return "\(name)'s clock and this machine's disagree (check the system clock: timedatectl status)"
        case .clockBehind: return "the RRD file already has a sample for a later slot (the clock is behind, or was ahead)"
        case .storageError: return "the RRD file could not be written"
        case .storageTimeout: return "rrdcached did not answer in time"
        }
    }

    public var description: String { "\(summary): \(detail)" }
}
