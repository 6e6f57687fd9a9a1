import BTCRateCore
import FoundationEssentials
import Glibc
import Hummingbird
import LibRRD
import Logging

/// The handlers of the graph and data routes. Each parses its query strictly
/// and answers bad input with a 4xx and a one-line JSON reason; nothing here throws.
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
        /// One per pair of the query, in its order.
        let versions: [DataVersion]
        /// The alert periods shaded on the graph (none with annotations=off).
        let annotations: AlertAnnotations.View
        /// All the pairs' versions as one, for validators and caching.
        let version: DataVersion
        /// The render cache's key: the image and its geometry. Built once: a
        /// cached answer uses it twice (its tag, the cache), and it is most of
        /// what a cached answer costs beyond HTTP.
        let key: String

        init(query: GraphQuery, range: ClosedRange<Int>, style: GraphQuery.Style, versions: [DataVersion],
             annotations: AlertAnnotations.View) {
            self.query = query
            self.range = range
            self.style = style
            self.versions = versions
            self.annotations = annotations
            version = DataVersion.combined(versions)
            key = "\(query.pairList)|\(range.lowerBound)|\(range.upperBound)|\(query.width)|\(query.height)|\(style.rawValue)|"
                + "\(query.theme.rawValue)|\(query.pixelRatio)|\(query.timeZone.name)|\(query.scale.rawValue)|\(query.mode.rawValue)|"
                + "\(version.stamp)|\(annotations.stamp)"
        }

        /// The entity tag of one representation of the view (`png`, `json`, `csv`).
        func tag(_ representation: String) -> String {
            representation == "png" ? EntityTag.of(key) : EntityTag.of("\(key)|\(query.points)|\(representation)")
        }

        /// Validators and caching of an answer about this view.
        func headers(tag: String, now: Int) -> HTTPFields {
            var headers = HTTPFields()
            headers[.eTag] = tag
            headers[.lastModified] = HTTPDate.format(version.modified)
            headers[.cacheControl] = CachePolicy.header(live: query.end.isRelative, end: range.upperBound,
                                                        lastUpdate: version.lastUpdate, now: now)
            return headers
        }
    }

    /// Parses and checks a request, or returns the answer explaining why not.
    private func prepare(_ request: Request) async -> Result<Prepared, ErrorAnswer> {
        let query: GraphQuery
        do throws(GraphQuery.Invalid) {
            query = try GraphQuery(rawQuery: request.uri.query ?? "", pairs: configuration.pairs)
        } catch {
            return .failure(ErrorAnswer(.badRequest, error.reason))
        }
        var versions: [DataVersion] = []
        for pair in query.pairs {
            let version: DataVersion?
            do {
                version = try await service.store.version(of: pair)
            } catch {
                return .failure(storageFailure(error, pair: pair))
            }
            guard let version else {
                // The page shows this as its empty state: when the first sample is due.
                return .failure(ErrorAnswer(.notFound, "no data for \(pair) yet",
                                            nextSampleDue: exactNow + CachePolicy.secondsUntilNextSample(now: exactNow)))
            }
            versions.append(version)
        }
        let range: ClosedRange<Int>
        do throws(GraphQuery.Invalid) {
            // "all" of a comparison starts at the oldest of its pairs.
            var oldest: Int?
            if query.start == .first {
                for (pair, version) in zip(query.pairs, versions) {
                    if let found = await service.store.oldestSample(pair, version: version) { oldest = min(oldest ?? found, found) }
                }
            }
            range = try query.range(now: anchoredNow, oldest: oldest)
        } catch {
            return .failure(ErrorAnswer(.badRequest, error.reason))
        }
        let style = query.effectiveStyle(span: range.upperBound - range.lowerBound)
        let annotations = query.annotations ? await service.annotations.view(pairs: query.pairs, range: range) : .none
        return .success(Prepared(query: query, range: range, style: style, versions: versions, annotations: annotations))
    }

    /// The data endpoints export one pair.
    private func singlePair(_ prepared: Prepared) -> ErrorAnswer? {
        prepared.query.pairs.count > 1 ? ErrorAnswer(.badRequest, "/data.json and /data.csv take one pair") : nil
    }

    private func storageFailure(_ error: any Error, pair: CurrencyPair) -> ErrorAnswer {
        let timedOut = (error as? RRDError)?.timedOut == true
        service.logger.error("rrdcached did not answer: \(error)", metadata: [
            "pair": "\(pair)", "error_class": "\(timedOut ? "storage_timeout" : "storage_error")",
        ])
        return ErrorAnswer(.serviceUnavailable, "storage is not answering")
    }

    /// The answer for a render or export that did not happen.
    private func failure(_ error: any Error, pair: CurrencyPair, what: String) -> ErrorAnswer {
        switch error {
        case let refusal as RenderPool.Refusal:
            if case .queueFull = refusal {
                return ErrorAnswer(.serviceUnavailable, refusal.description, retryAfter: Self.retryAfter)
            }
            return ErrorAnswer(.serviceUnavailable, refusal.description)
        case let error as RRDError where error.isDaemonFailure:
            return storageFailure(error, pair: pair)
        default:
            service.logger.error("\(what) failed: \(error)", metadata: ["pair": "\(pair)", "error_class": "render_error"])
            return ErrorAnswer(.internalServerError, "the \(what) could not be made")
        }
    }

    /// Seconds a client told "the queue is full" waits before it asks again: a
    /// full queue of 64 ordinary graphs drains in well under a second.
    static let retryAfter = 1

    private func rendered(_ prepared: Prepared, context: GraphRequestContext) async -> Result<RenderedGraph, ErrorAnswer> {
        let store = service.store
        let query = prepared.query
        // A render this request joined may be dropped because everyone else left;
        // then this request, whose client is still here, asks once more.
        for attempt in 0..<2 {
            do {
                let (graph, origin) = try await service.cache.value(for: prepared.key, client: { context.connection }) { audience in
                    try await store.render(query, range: prepared.range, style: prepared.style, versions: prepared.versions,
                                           annotations: prepared.annotations.shades, audience: audience)
                }
                service.metrics.countCache(hit: origin != .produced)
                return .success(graph)
            } catch RenderPool.Refusal.clientGone where attempt == 0 && context.connection?.isGone != true {
                continue
            } catch {
                return .failure(failure(error, pair: query.pair, what: "graph"))
            }
        }
        return .failure(ErrorAnswer(.serviceUnavailable, RenderPool.Refusal.clientGone.description))
    }

    func graphPNG(_ request: Request, context: GraphRequestContext) async -> Response {
        let prepared: Prepared
        switch await prepare(request) {
        case .success(let value): prepared = value
        case .failure(let answer): return answer.response
        }
        // The tag derives from the cache key, so a revalidation is answered
        // before (and without) any render.
        let tag = prepared.tag("png")
        var headers = prepared.headers(tag: tag, now: exactNow)
        if let match = request.headers[.ifNoneMatch], EntityTag.matches(ifNoneMatch: match, tag) {
            return Response(status: .notModified, headers: headers)
        }
        switch await rendered(prepared, context: context) {
        case .success(let graph):
            headers[.contentType] = "image/png"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: graph.png))
        case .failure(let answer):
            return answer.response
        }
    }

    struct GraphDescription: Encodable {
        let pair: String
        /// The pairs drawn (one, or those compared).
        let compare: [String]
        /// Every configured pair.
        let pairs: [String]
        let start: Int
        let end: Int
        let live: Bool
        let style: String
        let theme: String
        let dpr: Int
        let timeZone: String
        let scale: String
        let mode: String
        let image: String
        let staleAfter: Int
        let latest: LatestSample?
        let annotations: [AlertAnnotations.Period]
        let geometry: GraphGeometry

        func encode(to encoder: any Encoder) throws {
            try geometry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pair, forKey: .pair)
            try container.encode(compare, forKey: .compare)
            try container.encode(pairs, forKey: .pairs)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
            try container.encode(live, forKey: .live)
            try container.encode(style, forKey: .style)
            try container.encode(theme, forKey: .theme)
            try container.encode(dpr, forKey: .dpr)
            try container.encode(timeZone, forKey: .timeZone)
            try container.encode(scale, forKey: .scale)
            try container.encode(mode, forKey: .mode)
            try container.encode(image, forKey: .image)
            try container.encode(staleAfter, forKey: .staleAfter)
            try container.encodeIfPresent(latest, forKey: .latest)
            try container.encode(annotations, forKey: .annotations)
        }

        enum CodingKeys: String, CodingKey {
            case pair, compare, pairs, start, end, live, style, theme, dpr, timeZone, scale, mode, image, staleAfter, latest, annotations
        }
    }

    /// The image URL of exactly this view, with absolute times: what the geometry describes.
    static func imageURL(_ prepared: Prepared) -> String {
        let query = prepared.query
        var parameters = [
            "pair=\(query.pairList)", "start=\(prepared.range.lowerBound)", "end=\(prepared.range.upperBound)",
            "width=\(query.width)", "height=\(query.height)", "style=\(prepared.style.rawValue)",
            "theme=\(query.theme.rawValue)", "dpr=\(query.pixelRatio)", "tz=\(query.timeZone.name)",
            "scale=\(query.scale.rawValue)", "mode=\(query.mode.rawValue)",
        ]
        if !query.annotations { parameters.append("annotations=off") }
        return "/graph.png?" + parameters.joined(separator: "&")
    }

    func graphJSON(_ request: Request, context: GraphRequestContext) async -> Response {
        let prepared: Prepared
        switch await prepare(request) {
        case .success(let value): prepared = value
        case .failure(let answer): return answer.response
        }
        let graph: RenderedGraph
        switch await rendered(prepared, context: context) {
        case .success(let value): graph = value
        case .failure(let answer): return answer.response
        }
        let latest = try? await service.store.latest(prepared.query.pair, now: exactNow)
        let query = prepared.query
        let description = GraphDescription(
            pair: "\(query.pair)", compare: query.pairs.map(\.description), pairs: configuration.pairs.map(\.description),
            start: prepared.range.lowerBound, end: prepared.range.upperBound, live: query.end.isRelative,
            style: prepared.style.rawValue, theme: query.theme.rawValue, dpr: query.pixelRatio, timeZone: query.timeZone.name,
            scale: query.scale.rawValue, mode: query.mode.rawValue, image: Self.imageURL(prepared),
            staleAfter: Int(configuration.staleAfter), latest: latest ?? nil, annotations: prepared.annotations.periods,
            geometry: graph.geometry)
        return JSONAnswer.response(description)
    }

    func data(_ request: Request, context: GraphRequestContext, csv: Bool) async -> Response {
        let prepared: Prepared
        switch await prepare(request) {
        case .success(let value): prepared = value
        case .failure(let answer): return answer.response
        }
        if let refusal = singlePair(prepared) { return refusal.response }
        let tag = prepared.tag(csv ? "csv" : "json")
        var headers = prepared.headers(tag: tag, now: exactNow)
        if let match = request.headers[.ifNoneMatch], EntityTag.matches(ifNoneMatch: match, tag) {
            return Response(status: .notModified, headers: headers)
        }
        let exported: (series: RRDSeries, utcOffsets: [Int])
        do {
            exported = try await service.store.export(prepared.query.pair, range: prepared.range, points: prepared.query.points,
                                                      zone: prepared.query.timeZone, version: prepared.version,
                                                      audience: RenderAudience(context.connection))
        } catch {
            return failure(error, pair: prepared.query.pair, what: "export").response
        }
        let rows = SeriesRows(exported.series, utcOffsets: exported.utcOffsets)
        if csv {
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(prepared.query.pair)-\(prepared.range.lowerBound)-\(prepared.range.upperBound).csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rows.csv)))
        }
        var response = JSONAnswer.response(rows.document(pair: "\(prepared.query.pair)", timeZone: prepared.query.timeZone.name))
        response.headers[.cacheControl] = headers[.cacheControl]
        response.headers[.eTag] = headers[.eTag]
        response.headers[.lastModified] = headers[.lastModified]
        return response
    }
}
