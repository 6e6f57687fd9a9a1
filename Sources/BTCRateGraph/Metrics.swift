import Foundation

/// The graph service's Prometheus metrics, kept in memory and printed in the
/// text exposition format (version 0.0.4) by `/metrics`.
public final class GraphMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int] = [:]          // "endpoint|status" -> count
    private var renderBuckets: [Int]
    private var renderSum = 0.0
    private var renderCount = 0
    private var cacheHits = 0
    private var cacheMisses = 0

    public static let renderBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    public init() {
        renderBuckets = Array(repeating: 0, count: Self.renderBounds.count)
    }

    func countRequest(endpoint: String, status: Int) {
        lock.withLock { requests["\(endpoint)|\(status)", default: 0] += 1 }
    }

    func observeRender(seconds: Double) {
        lock.withLock {
            for (index, bound) in Self.renderBounds.enumerated() where seconds <= bound {
                renderBuckets[index] += 1
            }
            renderSum += seconds
            renderCount += 1
        }
    }

    func countCache(hit: Bool) {
        lock.withLock { if hit { cacheHits += 1 } else { cacheMisses += 1 } }
    }

    /// The exposition text; `sampleAges` (pair -> seconds) and `queueDepth` are read at scrape time.
    func exposition(sampleAges: [(String, Int?)], queueDepth: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        var lines: [String] = []
        lines.append("# HELP btcrate_http_requests_total HTTP requests answered, by endpoint and status.")
        lines.append("# TYPE btcrate_http_requests_total counter")
        for (key, count) in requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1)
            lines.append("btcrate_http_requests_total{endpoint=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)")
        }
        lines.append("# HELP btcrate_render_seconds Time librrd took to render a graph.")
        lines.append("# TYPE btcrate_render_seconds histogram")
        for (index, bound) in Self.renderBounds.enumerated() {
            lines.append("btcrate_render_seconds_bucket{le=\"\(bound)\"} \(renderBuckets[index])")
        }
        lines.append("btcrate_render_seconds_bucket{le=\"+Inf\"} \(renderCount)")
        lines.append("btcrate_render_seconds_sum \(renderSum)")
        lines.append("btcrate_render_seconds_count \(renderCount)")
        lines.append("# HELP btcrate_render_cache_hits_total Graph requests answered from the cache (or joined to a render in flight).")
        lines.append("# TYPE btcrate_render_cache_hits_total counter")
        lines.append("btcrate_render_cache_hits_total \(cacheHits)")
        lines.append("# HELP btcrate_render_cache_misses_total Graph requests that needed a render.")
        lines.append("# TYPE btcrate_render_cache_misses_total counter")
        lines.append("btcrate_render_cache_misses_total \(cacheMisses)")
        lines.append("# HELP btcrate_render_queue_depth Renders waiting for the render thread.")
        lines.append("# TYPE btcrate_render_queue_depth gauge")
        lines.append("btcrate_render_queue_depth \(queueDepth)")
        lines.append("# HELP btcrate_newest_sample_age_seconds Age of each pair's newest known sample (absent: no sample).")
        lines.append("# TYPE btcrate_newest_sample_age_seconds gauge")
        for (pair, age) in sampleAges {
            if let age { lines.append("btcrate_newest_sample_age_seconds{pair=\"\(pair)\"} \(age)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
