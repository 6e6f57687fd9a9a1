/// Classifies an Alpha Vantage answer that carries a message instead of data.
///
/// Alpha Vantage returns these with HTTP 200 under `Information`, `Note` or
/// `Error Message`, and has changed their wording over the years (`Note` until
/// 2023, `Information` since), so the match is on key and phrase, not exact text.
enum AlphaVantageMessage {
    static func classify(key: String, text: String) -> FetchFailure.Kind {
        let lower = text.lowercased()
        if lower.contains("demo") && lower.contains("api key") {
            return .demoKey
        }
        if lower.contains("premium endpoint") || lower.contains("premium-only") {
            return .premiumOnly
        }
        if lower.contains("apikey is invalid") || lower.contains("api key is invalid")
            || lower.contains("apikey is invalid or missing") || lower.contains("invalid api key") {
            return .invalidKey
        }
        if lower.contains("invalid api call") {
            return .invalidCall
        }
        // The burst message also quotes the daily limit, so test for it first.
        if lower.contains("per second") || lower.contains("spreading out") || lower.contains("per minute") {
            return .burstLimit
        }
        if lower.contains("per day") || lower.contains("rate limit") {
            return .quotaExhausted
        }
        return .apiMessage
    }
}
