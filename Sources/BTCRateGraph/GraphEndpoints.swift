import BTCRateCore
import Foundation
import Hummingbird
import LibRRD
import Logging

/// The handlers behind the routes. Each parses its query strictly and answers
/// bad input with a 4xx and a one-line JSON reason; nothing here throws.
struct GraphEndpoints: Sendable {
    let service: GraphService

    var configuration: Configuration { service.configuration }
    /// Relative ranges resolve against the current minute, so that everyone
    /// looking at "the last day" shares one cached image per minute.
    var anchoredNow: Int { Int(service.clock.now().timeIntervalSince1970) / 60 * 60 }
    var exactNow: Int { Int(service.clock.now().timeIntervalSince1970) }

    struct Prepared {
        let query: GraphQuery
        let range: ClosedRange<Int>
        let style: GraphQuery.Style
        let version: Int
        var key: String { "\(query.pair)|\(range.lowerBound)|\(range.upperBound)|\(query.width)|\(query.height)|\(style.rawValue)|\(version)" }
    }

    /// Parses and checks a request, or returns the answer explaining why not.
    private func prepare(_ request: Request) async -> Result<Prepared, ErrorAnswer> {
        let query: GraphQuery
        do throws(GraphQuery.Invalid) {
            query = try GraphQuery(rawQuery: request.uri.query ?? "", pairs: configuration.pairs)
        } catch {
            return .failure(ErrorAnswer(.badRequest, error.reason))
        }
        let version: Int?
        do {
            version = try await service.store.version(of: query.pair)
        } catch {
            let timedOut = (error as? RRDError)?.timedOut == true
            service.logger.error("rrdcached flush failed: \(error)", metadata: [
                "pair": "\(query.pair)", "error_class": "\(timedOut ? "storage_timeout" : "storage_error")",
            ])
            return .failure(ErrorAnswer(.serviceUnavailable, "storage is not answering"))
        }
        guard let version else {
            return .failure(ErrorAnswer(.notFound, "no data for \(query.pair) yet"))
        }
        let range: ClosedRange<Int>
        do throws(GraphQuery.Invalid) {
            let oldest = query.start == .first ? await service.store.oldestSample(query.pair, version: version) : nil
            range = try query.range(now: anchoredNow, oldest: oldest)
        } catch {
            return .failure(ErrorAnswer(.badRequest, error.reason))
        }
        let style = query.effectiveStyle(span: range.upperBound - range.lowerBound)
        return .success(Prepared(query: query, range: range, style: style, version: version))
    }

    private func rendered(_ prepared: Prepared) async -> Result<RenderedGraph, ErrorAnswer> {
        let store = service.store
        let metrics = service.metrics
        do {
            let (graph, origin) = try await service.cache.value(for: prepared.key) {
                let graph = try await store.render(prepared.query.pair, range: prepared.range, width: prepared.query.width,
                                                   height: prepared.query.height, style: prepared.style)
                metrics.observeRender(seconds: graph.renderSeconds)
                return graph
            }
            metrics.countCache(hit: origin != .produced)
            return .success(graph)
        } catch {
            service.logger.error("render failed: \(error)", metadata: ["pair": "\(prepared.query.pair)", "error_class": "render_error"])
            return .failure(ErrorAnswer(.internalServerError, "the graph could not be rendered"))
        }
    }

    /// Parses, checks and renders (or finds in the cache) the graph a request names.
    private func graph(for request: Request) async -> Result<(Prepared, RenderedGraph), ErrorAnswer> {
        switch await prepare(request) {
        case .failure(let answer):
            return .failure(answer)
        case .success(let prepared):
            return await rendered(prepared).map { (prepared, $0) }
        }
    }

    func graphPNG(_ request: Request) async -> Response {
        let prepared: Prepared
        switch await prepare(request) {
        case .success(let value): prepared = value
        case .failure(let answer): return answer.response
        }
        // The tag derives from the cache key, so a revalidation is answered
        // before (and without) any render.
        let tag = "\"\(ETag.hash(prepared.key))\""
        var headers = HTTPFields()
        headers[.eTag] = tag
        headers[.cacheControl] = "no-cache"
        headers[.lastModified] = HTTPDate.format(prepared.version / 1_000_000_000)
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag }) {
            return Response(status: .notModified, headers: headers)
        }
        switch await rendered(prepared) {
        case .success(let graph):
            headers[.contentType] = "image/png"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: graph.png))
        case .failure(let answer):
            return answer.response
        }
    }

    struct GraphDescription: Encodable {
        let pair: String
        let pairs: [String]
        let start: Int
        let end: Int
        let live: Bool
        let style: String
        let image: String
        let staleAfter: Int
        let latest: LatestSample?
        let geometry: GraphGeometry

        func encode(to encoder: any Encoder) throws {
            try geometry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pair, forKey: .pair)
            try container.encode(pairs, forKey: .pairs)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
            try container.encode(live, forKey: .live)
            try container.encode(style, forKey: .style)
            try container.encode(image, forKey: .image)
            try container.encode(staleAfter, forKey: .staleAfter)
            try container.encodeIfPresent(latest, forKey: .latest)
        }

        enum CodingKeys: String, CodingKey { case pair, pairs, start, end, live, style, image, staleAfter, latest }
    }

    func graphJSON(_ request: Request) async -> Response {
        let prepared: Prepared, graph: RenderedGraph
        switch await self.graph(for: request) {
        case .success(let value): (prepared, graph) = value
        case .failure(let answer): return answer.response
        }
        let latest = try? await service.store.latest(prepared.query.pair, now: exactNow)
        let query = prepared.query
        let image = "/graph.png?pair=\(query.pair)&start=\(prepared.range.lowerBound)&end=\(prepared.range.upperBound)&width=\(query.width)&height=\(query.height)&style=\(prepared.style.rawValue)"
        let description = GraphDescription(
            pair: "\(query.pair)", pairs: configuration.pairs.map(\.description),
            start: prepared.range.lowerBound, end: prepared.range.upperBound, live: query.end.isRelative,
            style: prepared.style.rawValue, image: image, staleAfter: Int(configuration.staleAfter),
            latest: latest ?? nil, geometry: graph.geometry)
        return JSONAnswer.response(description)
    }

    func data(_ request: Request, csv: Bool) async -> Response {
        let prepared: Prepared
        switch await prepare(request) {
        case .success(let value): prepared = value
        case .failure(let answer): return answer.response
        }
        let series: RRDSeries
        do {
            series = try await service.store.export(prepared.query.pair, range: prepared.range, points: prepared.query.points)
        } catch {
            service.logger.error("export failed: \(error)", metadata: ["pair": "\(prepared.query.pair)", "error_class": "render_error"])
            return ErrorAnswer(.internalServerError, "the data could not be exported").response
        }
        let rows = SeriesRows(series)
        if csv {
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(prepared.query.pair)-\(prepared.range.lowerBound)-\(prepared.range.upperBound).csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rows.csv)))
        }
        return JSONAnswer.response(rows.document(pair: "\(prepared.query.pair)"))
    }

    func health() async -> Response {
        struct PairHealth: Encodable { let pair: String; let newestSample: Int?; let ageSeconds: Int? }
        struct Health: Encodable { let status: String; let reasons: [String]; let pairs: [PairHealth] }
        var reasons: [String] = []
        var pairs: [PairHealth] = []
        let now = exactNow
        for pair in configuration.pairs {
            switch await service.store.health(pair) {
            case .success(nil):
                pairs.append(PairHealth(pair: "\(pair)", newestSample: nil, ageSeconds: nil))
                reasons.append("\(pair): no sample stored yet")
            case .success(let last?):
                let age = now - last
                pairs.append(PairHealth(pair: "\(pair)", newestSample: last, ageSeconds: age))
                if age < 0 {
                    // Never "ok": the data claims a time this clock has not reached.
                    reasons.append("\(pair): newest sample is for \(Timestamp.iso8601(last)), \(-age) s in the future: this machine's clock is behind, or was ahead when it was written (see btcrate rewind)")
                } else if Double(age) > configuration.staleAfter {
                    reasons.append("\(pair): newest sample is \(age) s old (limit \(Int(configuration.staleAfter)) s)")
                }
            case .failure(let error):
                pairs.append(PairHealth(pair: "\(pair)", newestSample: nil, ageSeconds: nil))
                let detail = (error as? RRDError)?.message ?? "\(error)"
                reasons.append("\(pair): RRD file not readable: \(detail)")
            }
        }
        let health = Health(status: reasons.isEmpty ? "ok" : "unhealthy", reasons: reasons, pairs: pairs)
        return JSONAnswer.response(health, status: reasons.isEmpty ? .ok : .serviceUnavailable)
    }

    /// The watchdog's active alerts (from alerts.json), for the page's banner.
    func alerts() -> Response {
        struct Item: Encodable { let alert: String; let pair: String?; let severity: String; let state: String; let summary: String; let since: Int }
        struct Body: Encodable { let firing: Int; let alerts: [Item] }
        let states = AlertStateStore(stateDirectory: configuration.stateDirectory).load().values
            .sorted { ($1.severity, $0.key) < ($0.severity, $1.key) }
        let items = states.map { state in
            Item(alert: state.key.name.rawValue, pair: state.key.pair.isEmpty ? nil : state.key.pair,
                 severity: state.severity.rawValue, state: state.phase.rawValue, summary: state.summary,
                 since: state.firedAt ?? state.activeSince)
        }
        return JSONAnswer.response(Body(firing: items.filter { $0.state == "firing" }.count, alerts: items))
    }

    func metricsText() async -> Response {
        var ages: [(String, Int?)] = []
        let now = exactNow
        for pair in configuration.pairs {
            if case .success(let last?) = await service.store.health(pair) { ages.append(("\(pair)", now - last)) } else { ages.append(("\(pair)", nil)) }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = service.metrics.exposition(sampleAges: ages, queueDepth: service.store.renderThread.queueDepth)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A 4xx/5xx answer with a one-line reason as JSON.
struct ErrorAnswer: Error {
    let status: HTTPResponse.Status
    let reason: String

    init(_ status: HTTPResponse.Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    var response: Response {
        struct Body: Encodable { let error: String }
        return JSONAnswer.response(Body(error: reason), status: status)
    }
}

enum JSONAnswer {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache"
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Strong, short validators for the cache: FNV-1a over the cache key.
enum ETag {
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(value, radix: 16)
    }
}

/// RFC 9110 dates for Last-Modified, formatted by hand: a DateFormatter per
/// request cost more than the rest of a cached answer (measured with wrk).
enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ unix: Int) -> String {
        var time = time_t(unix)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
