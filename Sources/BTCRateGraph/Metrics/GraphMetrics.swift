import Prometheus
import Synchronization

/// The graph service's Prometheus metrics, kept in a swift-prometheus registry
/// and printed by `/metrics` in the text exposition format (0.0.4). Names and
/// help texts are the contract dashboards and alert rules script against.
public final class GraphMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private let renderSeconds: ValueHistogram
    private let queueWait: ValueHistogram
    private let cacheHits: Counter
    private let cacheMisses: Counter
    private let rejected: Counter
    /// Counters by label value, so a request does not hash its labels in the registry.
    private let requests = Mutex<[String: Counter]>([:])
    private let labelled = Mutex<[String: Counter]>([:])

    public static let renderBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let waitBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init() {
        renderSeconds = registry.makeValueHistogram(
            descriptor: Self.name("btcrate_render_seconds", "Time a render worker took for one graph or export (librrd's cost, not the queue's)."),
            buckets: Self.renderBuckets)
        queueWait = registry.makeValueHistogram(
            descriptor: Self.name("btcrate_render_queue_wait_seconds", "Time a render waited for a free render worker."),
            buckets: Self.waitBuckets)
        cacheHits = registry.makeCounter(descriptor: Self.name(
            "btcrate_render_cache_hits_total", "Graph requests answered from the cache (or joined to a render in flight)."))
        cacheMisses = registry.makeCounter(descriptor: Self.name("btcrate_render_cache_misses_total", "Graph requests that needed a render."))
        rejected = registry.makeCounter(descriptor: Self.name(
            "btcrate_render_jobs_rejected_total", "Renders answered 503 at once at a full queue (graph.max_queue): the newcomer, or a dearer waiting one that made way."))
        // Every label value from the start, at 0: a rate() over a series that appears
        // only at its first event misses that event.
        for reason in ["crash", "timeout", "spawn"] { countWorkerRestart(reason: reason, by: 0) }
        for reason in ["client_gone", "queue_timeout"] { countDropped(reason: reason, by: 0) }
        for reason in ["header_timeout", "evicted", "over_limit"] { countConnectionClosed(reason: reason, by: 0) }
    }

    func countRequest(endpoint: String, status: Int) {
        let key = "\(endpoint)|\(status)"
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.name("btcrate_http_requests_total", "HTTP requests answered, by endpoint and status."),
                labels: [("endpoint", endpoint), ("status", "\(status)")])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    func observeRender(seconds: Double) { renderSeconds.record(seconds) }

    func observeQueueWait(_ seconds: Double) { queueWait.record(seconds) }

    func countCache(hit: Bool) { (hit ? cacheHits : cacheMisses).increment() }

    func countRejected() { rejected.increment() }

    /// `reason`: crash, timeout or spawn.
    func countWorkerRestart(reason: String, by amount: Int64 = 1) {
        count("btcrate_render_worker_restarts_total", label: ("reason", reason), by: amount,
              help: "Render workers killed and replaced (crash: died mid-render; timeout: passed graph.render_timeout; spawn: could not start).")
    }

    /// `reason`: client_gone (nobody waited for it any more) or queue_timeout (no worker within graph.render_timeout).
    func countDropped(reason: String, by amount: Int64 = 1) {
        count("btcrate_render_jobs_dropped_total", label: ("reason", reason), by: amount,
              help: "Renders that waited in the queue and were dropped unrendered.")
    }

    /// `reason`: header_timeout, evicted (made way at graph.max_connections) or over_limit.
    func countConnectionClosed(reason: String, by amount: Int64 = 1) {
        count("btcrate_http_connections_closed_total", label: ("reason", reason), by: amount,
              help: "Connections the service closed on its own, by reason (idle ones closed by graph.idle_timeout are not counted).")
    }

    private func count(_ name: String, label: (String, String), by amount: Int64, help: String) {
        let key = "\(name)|\(label.1)"
        let counter = labelled.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: Self.name(name, help), labels: [label])
            counters[key] = counter
            return counter
        }
        counter.increment(by: amount)
    }

    /// What is read at scrape time rather than counted.
    struct Snapshot {
        struct Pair {
            let pair: String
            /// The newest stored rate and its slot; nil: no sample yet.
            let newest: (time: Int, value: Double)?
            let now: Int
        }
        let pairs: [Pair]
        let pool: RenderPool.Status
        let connections: Int
    }

    /// The exposition text, after setting the gauges from `snapshot`.
    func exposition(_ snapshot: Snapshot) -> [UInt8] {
        gauge("btcrate_render_queue_depth", "Renders waiting for a render worker.").set(Double(snapshot.pool.queueDepth))
        gauge("btcrate_render_workers", "Render worker processes running.").set(Double(snapshot.pool.live))
        gauge("btcrate_render_workers_busy", "Render workers rendering now.").set(Double(snapshot.pool.busy))
        gauge("btcrate_http_connections", "Open client connections.").set(Double(snapshot.connections))
        for pair in snapshot.pairs {
            let rate = gauge("btcrate_rate", "The newest stored rate of the pair (quote currency units), absent before the first sample.", pair: pair.pair)
            let time = gauge("btcrate_rate_timestamp_seconds", "Unix time of the slot of the newest stored rate.", pair: pair.pair)
            let age = gauge("btcrate_newest_sample_age_seconds", "Age of the pair's newest stored sample (absent: no sample).", pair: pair.pair)
            if let newest = pair.newest {
                rate.set(newest.value)
                time.set(Double(newest.time))
                age.set(Double(pair.now - newest.time))
            } else {
                registry.unregisterGauge(rate)
                registry.unregisterGauge(time)
                registry.unregisterGauge(age)
            }
        }
        return registry.emitToBuffer()
    }

    private func gauge(_ name: String, _ help: String, pair: String? = nil) -> Gauge {
        if let pair { return registry.makeGauge(descriptor: Self.name(name, help), labels: [("pair", pair)]) }
        return registry.makeGauge(descriptor: Self.name(name, help))
    }

    /// A whole metric name and its help text (the descriptor would join parts;
    /// btcrate's names are written out in full so that they can be searched for).
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
