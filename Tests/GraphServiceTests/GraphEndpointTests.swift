@testable import BTCRateGraph
import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibRRD
import Testing

/// The endpoints through the router (no sockets), on a real RRD file.
@Suite struct GraphEndpointTests {
    let fixture = try! GraphFixture()
    let start = GraphFixture.lastSlot - 86_400
    let end = GraphFixture.lastSlot

    @Test func pngDecodesWithTheRequestedSize() async throws {
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/graph.png?start=\(start)&end=\(end)&width=640&height=240", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                let header = try #require(PNGHeader(response.body.bytes))
                #expect(header.width == 640 && header.height == 240)
            }
        }
    }

    @Test func geometryMatchesTheImageAndMapsPixelsToTime() async throws {
        try await fixture.application().test(.router) { client in
            let meta = try await client.execute(uri: "/graph.json?start=\(start)&end=\(end)&width=640&height=240", method: .get) {
                try $0.body.json()
            }
            #expect(meta["image_width"] as? Int == 640 && meta["image_height"] as? Int == 240)
            #expect(meta["graph_start"] as? Int == start && meta["graph_end"] as? Int == end)
            let left = try #require(meta["graph_left"] as? Int), width = try #require(meta["graph_width"] as? Int)
            #expect(left > 0 && width > 0 && left + width <= 640)
            let geometry = GraphGeometry(graphLeft: left, graphTop: meta["graph_top"] as? Int ?? 0, graphWidth: width,
                                         graphHeight: meta["graph_height"] as? Int ?? 0, imageWidth: 640, imageHeight: 240,
                                         graphStart: start, graphEnd: end, valueMin: nil, valueMax: nil)
            #expect(geometry.time(atPixel: Double(left)) == Double(start))
            #expect(geometry.time(atPixel: Double(left + width)) == Double(end))
            #expect(abs(geometry.time(atPixel: Double(left) + Double(width) / 2) - Double(start + end) / 2) < 1)
            // The image URL in the description renders exactly the described image.
            let image = try #require(meta["image"] as? String)
            try await client.execute(uri: image, method: .get) { response in
                let header = try #require(PNGHeader(response.body.bytes))
                #expect(header.width == 640 && header.height == 240)
            }
            let latest = try #require(meta["latest"] as? [String: Any])
            #expect(latest["value"] as? Double == GraphFixture.price(GraphFixture.lastSlot))
            #expect(latest["time"] as? Int == GraphFixture.lastSlot)
            #expect(latest["age_seconds"] as? Int == 37)
            #expect(latest["change_24h"] is Double)
        }
    }

    @Test func relativeRangesResolveAgainstTheCurrentMinute() async throws {
        try await fixture.application().test(.router) { client in
            let meta = try await client.execute(uri: "/graph.json?start=-6h&end=now", method: .get) { try $0.body.json() }
            let minute = GraphFixture.now / 60 * 60
            #expect(meta["graph_end"] as? Int == minute && meta["graph_start"] as? Int == minute - 6 * 3600)
            #expect(meta["live"] as? Bool == true)
            #expect(meta["style"] as? String == "line")
            let long = try await client.execute(uri: "/graph.json?start=-30d", method: .get) { try $0.body.json() }
            #expect(long["style"] as? String == "band")
        }
    }

    /// The page's "all" (`start=first`) begins at the oldest sample, and its "now"
    /// button sends spans in seconds, seven digits and more for long views.
    @Test func allStartsAtTheOldestSampleAndLongSpansInSecondsWork() async throws {
        try await fixture.application().test(.router) { client in
            let all = try await client.execute(uri: "/graph.json?start=first&end=now", method: .get) { try $0.body.json() }
            let start = try #require(all["graph_start"] as? Int)
            // The daily archive's first known row, minus one row: within a day or two before the first slot.
            #expect(start <= GraphFixture.firstSlot && start >= GraphFixture.firstSlot - 2 * 86_400, "\(start)")
            let long = try await client.execute(uri: "/graph.json?start=-31536000s&end=now", method: .get) { try $0.body.json() }
            #expect(long["graph_start"] as? Int == GraphFixture.now / 60 * 60 - 31_536_000)
            try await client.execute(uri: "/graph.png?start=-100y", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/graph.png?start=-1d&end=first", method: .get) { #expect($0.status == .badRequest) }
        }
    }

    @Test func repeatedRequestsComeFromTheCacheAndRevalidateWith304() async throws {
        try await fixture.application().test(.router) { client in
            let uri = "/graph.png?start=\(start)&end=\(end)"
            let tag = try await client.execute(uri: uri, method: .get) { try #require($0.headers[.eTag]) }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok) }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { $0.body.text }
            #expect(metrics.contains("btcrate_render_cache_hits_total 1"))
            #expect(metrics.contains("btcrate_render_cache_misses_total 1"))
        }
    }

    @Test func aNewSampleInvalidatesTheCache() async throws {
        try await fixture.application().test(.router) { client in
            let uri = "/graph.png?start=-1d"
            let first = try await client.execute(uri: uri, method: .get) { try #require($0.headers[.eTag]) }
            try await Task.sleep(for: .milliseconds(10))
            try RRDFile(path: fixture.configuration.rrdPath(for: fixture.pair)).update(["\(GraphFixture.lastSlot + 600):41000:U:U"])
            let second = try await client.execute(uri: uri, method: .get) { try #require($0.headers[.eTag]) }
            #expect(first != second)
        }
    }

    @Test func dataEndpointsServeTheSeriesWithGapsAsNulls() async throws {
        let from = GraphFixture.hole.lowerBound - 1800, to = GraphFixture.hole.upperBound + 1800
        try await fixture.application().test(.router) { client in
            let document = try await client.execute(uri: "/data.json?start=\(from)&end=\(to)&points=100", method: .get) {
                try $0.body.json()
            }
            #expect(document["step"] as? Int == 600)
            let points = try #require(document["points"] as? [[String: Any]])
            let known = points.filter { !($0["rate"] is NSNull) }
            let gaps = points.filter { $0["rate"] is NSNull }
            #expect(gaps.count >= 12)
            for point in known {
                let time = try #require(point["time"] as? Int)
                #expect(point["rate"] as? Double == GraphFixture.price(time))
            }
            let csv = try await client.execute(uri: "/data.csv?start=\(from)&end=\(to)", method: .get) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                return response.body.text
            }
            let lines = csv.split(separator: "\n")
            #expect(lines.first == "time_utc,unix_time,rate,min,max,time_local")
            #expect(lines.contains { $0.contains(",,,,") })
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await fixture.application().test(.router) { client in
            for uri in ["/", "/static/app.js", "/graph.png?start=-1d", "/graph.json?width=1", "/nope"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let csp = response.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                    #expect(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                }
            }
        }
    }

    @Test func thePageNeedsNothingFromElsewhere() async throws {
        try await fixture.application().test(.router) { client in
            for uri in ["/", "/static/app.js", "/static/style.css", "/static/icon.svg"] {
                let text = try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    return response.body.text
                }
                // The only URL allowed is the SVG namespace, which is a name, not a fetch.
                let fetched = text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                #expect(!fetched.contains("http://") && !fetched.contains("https://") && !fetched.contains("//cdn"))
            }
            let html = try await client.execute(uri: "/", method: .get) { $0.body.text }
            #expect(html.contains("<script src=\"/static/app.js\"") && !html.contains("<script>") && !html.contains("style=\""))
            // The zone is the browser's, shown by the script; the page labels the choice.
            #expect(html.contains("Time zone"))
            #expect(html.contains("width=device-width"))
            // The budget: the whole script stays under about 30 KB.
            #expect(PageScript.app.utf8.count < 30_000)
        }
    }

    @Test func healthIsOKWhenFreshAndExplains503WhenStale() async throws {
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let status = try response.body.json()["status"] as? String
                #expect(status == "ok")
            }
            fixture.clock.advance(by: 3600)
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reasons = try response.body.json()["reasons"] as? [String]
                #expect(reasons?.first?.contains("newest sample is 3637 s old (limit 1800 s)") == true)
            }
        }
    }

    /// No file yet (the collector creates it with the first valid sample): not healthy, and said plainly.
    @Test func aMissingFileIsNoSampleYet() async throws {
        let empty = try GraphFixture(writeData: false)
        try await empty.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reasons = try response.body.json()["reasons"] as? [String]
                #expect(reasons == ["BTC-USD: no sample stored yet"])
            }
        }
    }

    /// A file with a sample ahead of this clock is never "ok".
    @Test func aSampleInTheFutureIsNotHealthy() async throws {
        try await fixture.application().test(.router) { client in
            fixture.clock.advance(by: -7200)
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reasons = try response.body.json()["reasons"] as? [String]
                #expect(reasons?.first?.contains("s in the future") == true)
                #expect(reasons?.first?.contains("btcrate rewind") == true)
            }
        }
    }

    /// A file made by a run that got no sample has a last update but no value: not healthy.
    @Test func aFileWithoutASampleIsNotHealthy() async throws {
        let empty = try GraphFixture(writeData: false)
        let file = RRDFile(path: empty.configuration.rrdPath(for: empty.pair))
        try file.create(step: 600, start: GraphFixture.lastSlot - 600, definitions: RRDLayout.definitions)
        try await empty.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reasons = try response.body.json()["reasons"] as? [String]
                #expect(reasons == ["BTC-USD: no sample stored yet"])
            }
        }
    }

    @Test func healthReportsAnUnreadableFile() async throws {
        let empty = try GraphFixture(writeData: false)
        #expect(FileManager.default.createFile(atPath: empty.configuration.rrdPath(for: empty.pair), contents: Data("garbage".utf8)))
        try await empty.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reasons = try response.body.json()["reasons"] as? [String]
                #expect(reasons?.first?.hasPrefix("BTC-USD: RRD file not readable") == true)
            }
            try await client.execute(uri: "/graph.png", method: .get) { response in
                #expect(response.status == .internalServerError || response.status.code / 100 == 4)
            }
        }
    }

    @Test func theAlertBannerReadsTheWatchdogsState() async throws {
        var engine = AlertEngine(policy: AlertPolicy())
        _ = engine.apply([Condition(key: AlertKey(.rateStale, pair: "BTC-USD"), active: true, severity: .critical,
                                    summary: "no new sample for 70 minutes", description: "d")], now: 100)
        try AlertStateStore(stateDirectory: fixture.directory.path).save(engine.states, now: 100)
        try await fixture.application().test(.router) { client in
            let body = try await client.execute(uri: "/alerts.json", method: .get) { try $0.body.json() }
            #expect(body["firing"] as? Int == 1)
            let first = (body["alerts"] as? [[String: Any]])?.first
            #expect(first?["alert"] as? String == "RateStale" && first?["severity"] as? String == "critical")
        }
    }

    @Test func metricsFollowTheExpositionFormat() async throws {
        try await fixture.application().test(.router) { client in
            _ = try await client.execute(uri: "/graph.png?start=-1d", method: .get) { $0.status }
            _ = try await client.execute(uri: "/graph.png?width=abc", method: .get) { $0.status }
            let response = try await client.execute(uri: "/metrics", method: .get) { $0 }
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.body.text
            #expect(text.hasSuffix("\n"))
            #expect(text.contains("btcrate_http_requests_total{endpoint=\"/graph.png\",status=\"200\"} 1"))
            #expect(text.contains("btcrate_http_requests_total{endpoint=\"/graph.png\",status=\"400\"} 1"))
            #expect(text.contains("btcrate_render_seconds_bucket{le=\"+Inf\"} 1"))
            #expect(text.contains("btcrate_newest_sample_age_seconds{pair=\"BTC-USD\"} 37.0"))
            #expect(text.contains("btcrate_rate{pair=\"BTC-USD\"} \(GraphFixture.price(GraphFixture.lastSlot))"))
            #expect(text.contains("btcrate_rate_timestamp_seconds{pair=\"BTC-USD\"} \(Double(GraphFixture.lastSlot))"))
            #expect(text.contains("btcrate_render_queue_wait_seconds_count 1"))
            #expect(text.contains("btcrate_render_worker_restarts_total{reason=\"crash\"} 0"))
            #expect(text.contains("btcrate_render_jobs_rejected_total 0"))
            #expect(text.contains("btcrate_render_workers "))
            // Each family's HELP and TYPE appear once, before its samples.
            for family in ["btcrate_http_requests_total", "btcrate_render_seconds", "btcrate_newest_sample_age_seconds",
                           "btcrate_rate", "btcrate_render_queue_wait_seconds", "btcrate_render_jobs_dropped_total"] {
                #expect(text.components(separatedBy: "# TYPE \(family) ").count == 2)
            }
        }
    }
}
