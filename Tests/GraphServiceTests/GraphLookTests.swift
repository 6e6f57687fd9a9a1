@testable import BTCRateGraph
@testable import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibRRD
import Testing

/// The picture's options: themes, pixel ratio, time zones, log scale, percent
/// change, compared pairs and alert periods, through the router on real RRD files.
@Suite struct GraphLookTests {
    let fixture = try! GraphFixture()
    let start = GraphFixture.lastSlot - 86_400
    let end = GraphFixture.lastSlot

    func png(_ client: some TestClientProtocol, _ query: String) async throws -> [UInt8] {
        try await client.execute(uri: "/graph.png?start=\(start)&end=\(end)&\(query)", method: .get) { response in
            #expect(response.status == .ok, "\(query): \(response.body.text)")
            return response.body.bytes
        }
    }

    func json(_ client: some TestClientProtocol, _ path: String) async throws -> [String: Any] {
        try await client.execute(uri: path, method: .get) { response in
            #expect(response.status == .ok, "\(path): \(response.body.text)")
            return try response.body.json()
        }
    }

    @Test func dprRendersMorePixelsWithTheGeometryInCSSPixels() async throws {
        try await fixture.application().test(.router) { client in
            let one = try #require(PNGHeader(try await png(client, "width=640&height=240&dpr=1")))
            let two = try #require(PNGHeader(try await png(client, "width=640&height=240&dpr=2")))
            let three = try #require(PNGHeader(try await png(client, "width=400&height=300&dpr=3")))
            #expect(one.width == 640 && one.height == 240)
            #expect(two.width == 1280 && two.height == 480)
            #expect(three.width == 1200 && three.height == 900)
            let plain = try await json(client, "/graph.json?start=\(start)&end=\(end)&width=640&height=240")
            let sharp = try await json(client, "/graph.json?start=\(start)&end=\(end)&width=640&height=240&dpr=2")
            for key in ["image_width", "image_height", "graph_left", "graph_width", "graph_top", "graph_height", "graph_start", "graph_end"] {
                #expect(plain[key] as? Int == sharp[key] as? Int, "\(key) differs at dpr 2")
            }
            #expect(sharp["dpr"] as? Int == 2)
            #expect((sharp["image"] as? String)?.contains("dpr=2") == true)
        }
    }

    @Test func themesChangeTheImageAndTheEntityTag() async throws {
        try await fixture.application().test(.router) { client in
            let light = try await client.execute(uri: "/graph.png?start=\(start)&end=\(end)&theme=light", method: .get) { $0 }
            let dark = try await client.execute(uri: "/graph.png?start=\(start)&end=\(end)&theme=dark", method: .get) { $0 }
            #expect(light.status == .ok && dark.status == .ok)
            #expect(light.body.bytes != dark.body.bytes)
            #expect(light.headers[.eTag] != dark.headers[.eTag])
        }
    }

    @Test func aTimeZoneIsReportedAndTheCSVAddsLocalTimes() async throws {
        try await fixture.application().test(.router) { client in
            let meta = try await json(client, "/graph.json?start=\(start)&end=\(end)&tz=Europe/Paris")
            #expect(meta["time_zone"] as? String == "Europe/Paris")
            #expect((meta["image"] as? String)?.contains("tz=Europe/Paris") == true)
            #expect(try await json(client, "/graph.json?start=\(start)&end=\(end)")["time_zone"] as? String == "UTC")
            // January: Paris is an hour ahead of UTC.
            let csv = try await client.execute(uri: "/data.csv?start=\(end - 3600)&end=\(end)&tz=Europe/Paris", method: .get) { $0.body.text }
            let lines = csv.split(separator: "\n")
            #expect(lines.first == "time_utc,unix_time,rate,min,max,time_local")
            let row = try #require(lines.dropFirst().first).split(separator: ",", omittingEmptySubsequences: false)
            let unix = try #require(Int(row[1]))
            #expect(row[5] == Substring(Timestamp.iso8601(unix, utcOffset: 3600)))
            #expect(row[5].hasSuffix("+01:00"))
            let utc = try await client.execute(uri: "/data.csv?start=\(end - 3600)&end=\(end)", method: .get) { $0.body.text }
            #expect(utc.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("Z") })
            let document = try await json(client, "/data.json?start=\(end - 3600)&end=\(end)&tz=Asia/Tokyo")
            #expect(document["time_zone"] as? String == "Asia/Tokyo")
        }
    }

    @Test func percentChangeAndLogScaleRender() async throws {
        try await fixture.application().test(.router) { client in
            // The fixture's price moves by under 2.5 % in a day: percent values, not dollars.
            let change = try await json(client, "/graph.json?start=\(start)&end=\(end)&mode=change")
            let high = try #require(change["value_max"] as? Double), low = try #require(change["value_min"] as? Double)
            #expect(high < 10 && low > -10)
            #expect(change["mode"] as? String == "change")
            let log = try await json(client, "/graph.json?start=\(start)&end=\(end)&scale=log")
            #expect(try #require(log["value_min"] as? Double) > 30_000)
            #expect(log["scale"] as? String == "log")
        }
    }

    @Test func comparedPairsAreDrawnTogether() async throws {
        var configuration = fixture.configuration
        let ether = try CurrencyPair(parsing: "ETH-USD")
        configuration.pairs = [fixture.pair, ether]
        let file = RRDFile(path: configuration.rrdPath(for: ether))
        try file.create(step: 600, start: start - 600, definitions: RRDLayout.definitions)
        let samples = stride(from: start, through: end, by: 600).map { (slot: Slot(containing: $0), rate: Optional(2000.0 + Double($0 % 7000) / 100), bid: Double?.none, ask: Double?.none) }
        try file.update(RRDLayout.rows(samples, after: Slot(containing: start - 600)))
        let service = GraphService(configuration: configuration, workerCommand: fixture.workerCommand, clock: fixture.clock,
                                   logger: fixture.log.logger(level: .info))
        try await service.buildApplication().test(.router) { client in
            let meta = try await json(client, "/graph.json?start=\(start)&end=\(end)&pair=BTC-USD,ETH-USD&mode=change")
            #expect(meta["compare"] as? [String] == ["BTC-USD", "ETH-USD"])
            #expect(meta["pair"] as? String == "BTC-USD")
            #expect((meta["image"] as? String)?.contains("pair=BTC-USD,ETH-USD") == true)
            let one = try await png(client, "pair=BTC-USD&mode=change")
            let both = try await png(client, "pair=BTC-USD,ETH-USD&mode=change")
            #expect(one != both)
            // Comparing needs percent; the data endpoints take one pair.
            for refused in ["/graph.png?pair=BTC-USD,ETH-USD", "/data.csv?pair=BTC-USD,ETH-USD&mode=change",
                            "/graph.png?pair=ETH-USD,ETH-USD&mode=change"] {
                try await client.execute(uri: refused, method: .get) { #expect($0.status == .badRequest, "\(refused)") }
            }
        }
    }

    @Test func alertPeriodsAreListedShadedAndCanBeTurnedOff() async throws {
        try await fixture.application().test(.router) { client in
            let range = "start=\(start)&end=\(end)&width=640&height=240"
            let before = try await client.execute(uri: "/graph.png?\(range)", method: .get) { $0 }
            let lines = [
                #"{"at":\#(end - 7200),"event":"firing","alert":"RateStale","pair":"BTC-USD","severity":"warning","summary":"no sample for 30 min","started_at":\#(end - 9000)}"#,
                #"{"at":\#(end - 3600),"event":"resolved","alert":"RateStale","pair":"BTC-USD","severity":"warning","summary":"no sample for 30 min","started_at":\#(end - 9000)}"#,
                #"{"at":\#(end - 3000),"event":"firing","alert":"UnitFailed","severity":"critical","summary":"a unit failed","started_at":\#(end - 3000)}"#,
                "{torn",
            ]
            try (lines.joined(separator: "\n") + "\n").write(toFile: fixture.directory.file(AlertHistory.fileName), atomically: true, encoding: .utf8)
            let meta = try await json(client, "/graph.json?\(range)")
            let periods = try #require(meta["annotations"] as? [[String: Any]])
            // The stack's alert has no pair: not drawn on a pair's graph.
            #expect(periods.count == 1)
            #expect(periods.first?["alert"] as? String == "RateStale" && periods.first?["severity"] as? String == "warning")
            #expect(periods.first?["start"] as? Int == end - 9000 && periods.first?["end"] as? Int == end - 3600)
            let shaded = try await client.execute(uri: "/graph.png?\(range)", method: .get) { $0 }
            #expect(shaded.body.bytes != before.body.bytes)
            #expect(shaded.headers[.eTag] != before.headers[.eTag])
            let off = try await json(client, "/graph.json?\(range)&annotations=off")
            #expect((off["annotations"] as? [Any])?.isEmpty == true)
            let plain = try await client.execute(uri: "/graph.png?\(range)&annotations=off", method: .get) { $0 }
            #expect(plain.body.bytes == before.body.bytes)
        }
    }

    @Test func aPairWithoutDataSaysWhenTheFirstSampleIsDue() async throws {
        let empty = try GraphFixture(writeData: false)
        try await empty.application().test(.router) { client in
            try await client.execute(uri: "/graph.json", method: .get) { response in
                #expect(response.status == .notFound)
                let due = try #require(try response.body.json()["next_sample_due"] as? Int)
                #expect(due > GraphFixture.now && due <= GraphFixture.now + 660)
            }
        }
    }

    @Test func hostileValuesOfTheNewParametersGet400() async throws {
        let queries = [
            "theme=blue", "theme=DARK", "theme=", "dpr=0", "dpr=4", "dpr=1.5", "dpr=-1", "dpr=2&width=3001", "dpr=3&width=2001",
            "dpr=3&height=1001", "tz=../../etc/passwd", "tz=/etc/localtime", "tz=Europe/../../../etc/passwd", "tz=Mars/Olympus",
            "tz=Europe", "tz=.", "tz=..", "tz=Europe/Paris%00", "tz=Europe%2fParis%2f..", "tz=a/b/c/d", "tz=" + String(repeating: "A", count: 70),
            "tz=utc", "tz=Europe/Paris/", "tz=%2Fusr%2Fshare%2Fzoneinfo%2FUTC", "scale=exp", "scale=LOG", "mode=delta", "mode=change&scale=log",
            "pair=BTC-USD,ETH-USD&mode=change", "pair=BTC-USD,&mode=change", "pair=,BTC-USD", "pair=BTC-USD,BTC-USD&mode=change",
            "pair=A,B,C,D,E&mode=change", "annotations=maybe", "annotations=", "theme=dark&theme=light",
        ]
        let before = try fixture.snapshot()
        try await fixture.application().test(.router) { client in
            for query in queries {
                for endpoint in ["/graph.png", "/graph.json", "/data.csv"] {
                    try await client.execute(uri: "\(endpoint)?\(query)", method: .get) { response in
                        #expect(response.status == .badRequest, "\(endpoint)?\(query) gave \(response.status)")
                        #expect(!response.body.text.contains("/etc/passwd"))
                    }
                }
            }
        }
        #expect(try fixture.snapshot() == before)
    }

    @Test func timeZoneNamesAreCheckedAsTextAndAsFiles() {
        #expect(TimeZoneName("Europe/Paris")?.name == "Europe/Paris")
        #expect(TimeZoneName("America/Argentina/Buenos_Aires") != nil)
        #expect(TimeZoneName("Etc/GMT+5") != nil)
        #expect(TimeZoneName("UTC") == .utc)
        for bad in ["", "Europe", "../etc/passwd", "Europe/..", "/etc/localtime", "Europe//Paris", "Europe/Paris ", ".hidden", "zone.tab"] {
            #expect(TimeZoneName(bad) == nil, "\(bad)")
        }
    }

    @Test func valueAxisLabelsAreRoundAndFortyToSixtyPixelsApart() {
        for span in [0.013, 0.4, 7.0, 99.0, 1234.5, 40_000.0, 2_500_000.0] {
            for height in [60, 100, 259, 400, 900, 1450] {
                let step = ValueAxis.roundStep(span: span, plotHeight: Double(height))
                let spacing = step * Double(height) / span
                #expect(spacing >= 40 - 1e-6 && spacing <= 60 + 1e-6, "span \(span), height \(height): step \(step), \(spacing) px")
                let mantissa = step / pow(10, log10(step).rounded(.down))
                #expect(ValueAxis.mantissas.contains { abs($0 - mantissa) < 1e-6 }, "\(step) is not round")
            }
        }
        let probe = AxisProbe(arguments: [], plotHeight: 259, logarithmic: false)
        #expect(ValueAxis.options(low: 38_000, high: 42_000, probe: probe) == ["--y-grid", "800.00:1", "--left-axis-format", "%.0lf"])
        #expect(ValueAxis.options(low: -1.2, high: 0.3, probe: probe) == ["--y-grid", "0.300:1", "--left-axis-format", "%.1lf"])
        #expect(ValueAxis.options(low: 1, high: 1.6, probe: probe).suffix(2) == ["--left-axis-format", "%.1lf"])
        #expect(ValueAxis.options(low: 1, high: 4.5, probe: probe).suffix(2) == ["--left-axis-format", "%.1lf"])
        let log = AxisProbe(arguments: [], plotHeight: 259, logarithmic: true)
        #expect(ValueAxis.options(low: 100, high: 1000, probe: log) == ["--lower-limit", "100.000000", "--upper-limit", "1002.000000", "--rigid"])
        // A narrow range is rounded out to whole multiples: labels at both ends.
        #expect(ValueAxis.options(low: 38_123, high: 41_900, probe: log) == ["--lower-limit", "30000.000000", "--upper-limit", "50100.000000", "--rigid"])
        #expect(ValueAxis.options(low: 0.5, high: 120_000, probe: log).prefix(4) == ["--lower-limit", "0.500000", "--upper-limit", "200400.000000"])
        #expect(ValueAxis.options(low: -5, high: 10, probe: log).isEmpty)
        let extent = ValueAxis.extent([[.nan, 3], [1, .infinity]])
        #expect(extent?.low == 1 && extent?.high == 3)
        #expect(ValueAxis.extent([[.nan]]) == nil)
    }
}
