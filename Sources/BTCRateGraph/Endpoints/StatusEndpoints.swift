import BTCRateCore
import BlockingCalls
import Hummingbird
import LibRRD

/// `/healthz`, `/alerts.json` and `/metrics`: answers about the service that
/// never wait behind a render (they read the pool's state, not its queue).
struct StatusEndpoints: Sendable {
    let service: GraphService

    var configuration: Configuration { service.configuration }
    var now: Int { Int(service.clock.now().timeIntervalSince1970) }

    struct RenderHealth: Encodable {
        let workers: Int
        let liveWorkers: Int
        let busyWorkers: Int
        let queueDepth: Int
        let maxQueue: Int
        let oldestWaitSeconds: Double

        init(_ status: RenderPool.Status) {
            workers = status.workers
            liveWorkers = status.live
            busyWorkers = status.busy
            queueDepth = status.queueDepth
            maxQueue = status.maxQueue
            oldestWaitSeconds = (status.oldestWait * 1000).rounded() / 1000
        }
    }

    /// 200 "ok"; 503 "unhealthy" when a pair's data is missing, stale or unreadable;
    /// 503 "starved" when no render worker can take a render within
    /// graph.render_timeout, which the watchdog reports as GraphServiceDown.
    func health() async -> Response {
        struct PairHealth: Encodable { let pair: String; let newestSample: Int?; let ageSeconds: Int? }
        struct Health: Encodable { let status: String; let reasons: [String]; let pairs: [PairHealth]; let render: RenderHealth }
        var reasons: [String] = []
        var pairs: [PairHealth] = []
        let now = now
        for pair in configuration.pairs {
            switch await service.store.newest(pair) {
            case .success(nil):
                pairs.append(PairHealth(pair: "\(pair)", newestSample: nil, ageSeconds: nil))
                reasons.append("\(pair): no sample stored yet")
            case .success(let newest?):
                let age = now - newest.time
                pairs.append(PairHealth(pair: "\(pair)", newestSample: newest.time, ageSeconds: age))
                if age < 0 {
                    // Never "ok": the data claims a time this clock has not reached.
                    reasons.append("\(pair): newest sample is for \(Timestamp.iso8601(newest.time)), \(-age) s in the future: this machine's clock is behind, or was ahead when it was written (see btcrate rewind)")
                } else if Double(age) > configuration.staleAfter {
                    reasons.append("\(pair): newest sample is \(age) s old (limit \(Int(configuration.staleAfter)) s)")
                }
            case .failure(let error):
                pairs.append(PairHealth(pair: "\(pair)", newestSample: nil, ageSeconds: nil))
                let detail = (error as? RRDError)?.message ?? "\(error)"
                reasons.append("\(pair): RRD file not readable: \(detail)")
            }
        }
        let pool = service.renderPool.status
        var status = reasons.isEmpty ? "ok" : "unhealthy"
        if let starved = pool.starved {
            status = "starved"
            reasons.insert("renders: \(starved)", at: 0)
        }
        let health = Health(status: status, reasons: reasons, pairs: pairs, render: RenderHealth(pool))
        return JSONAnswer.response(health, status: status == "ok" ? .ok : .serviceUnavailable)
    }

    /// The watchdog's active alerts (from alerts.json), for the page's banner.
    func alerts() async -> Response {
        struct Item: Encodable { let alert: String; let pair: String?; let severity: String; let state: String; let summary: String; let since: Int }
        struct Body: Encodable { let firing: Int; let alerts: [Item] }
        let stateDirectory = configuration.stateDirectory
        let loaded = try? await Blocking.run { AlertStateStore(stateDirectory: stateDirectory).load() }
        let states = (loaded ?? [:]).values.sorted { ($1.severity, $0.key) < ($0.severity, $1.key) }
        let items = states.map { state in
            Item(alert: state.key.name.rawValue, pair: state.key.pair.isEmpty ? nil : state.key.pair,
                 severity: state.severity.rawValue, state: state.phase.rawValue, summary: state.summary,
                 since: state.firedAt ?? state.activeSince)
        }
        return JSONAnswer.response(Body(firing: items.filter { $0.state == "firing" }.count, alerts: items))
    }

    func metrics() async -> Response {
        var pairs: [GraphMetrics.Snapshot.Pair] = []
        let now = now
        for pair in configuration.pairs {
            let newest = try? await service.store.newest(pair).get()
            pairs.append(.init(pair: "\(pair)", newest: newest ?? nil, now: now))
        }
        let text = service.metrics.exposition(.init(pairs: pairs, pool: service.renderPool.status,
                                                    connections: service.connections.count))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }
}
