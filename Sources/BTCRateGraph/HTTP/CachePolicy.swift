import BTCRateCore

/// `Cache-Control` for a view, so that a reverse proxy (nginx's proxy_cache)
/// answers repeat viewers without asking the service:
/// - a view that can still get data (it ends now, in the future, or after the
///   file's newest rows) may be cached until the next sample is due;
/// - a view that ended a day or more before the file's last update can get no
///   newer data (even its daily rows are complete) and may be kept a day.
enum CachePolicy {
    /// A slot's sample is due this long after the slot starts: the timer fires
    /// at the boundary, and a run takes seconds.
    static let sampleDue = 60
    /// Cached this long when the data can no longer change. Not for ever: a
    /// `btcrate rewind` can still drop samples.
    static let settledAge = 86_400

    static func header(live: Bool, end: Int, lastUpdate: Int?, now: Int) -> String {
        if !live, let lastUpdate, end + 86_400 <= lastUpdate {
            return "public, max-age=\(settledAge)"
        }
        return "public, max-age=\(secondsUntilNextSample(now: now))"
    }

    /// Seconds until the next sample is due, at least 1.
    static func secondsUntilNextSample(now: Int) -> Int {
        let due = Slot(containing: now - sampleDue).next.start + sampleDue
        return max(1, due - now)
    }
}
