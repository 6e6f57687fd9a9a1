@testable import BTCRateGraph
import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Malformed and hostile query strings: each gets a 4xx with a short reason,
/// and the state directory is byte-for-byte unchanged afterwards.
@Suite struct HostileQueryTests {
    static let queries: [String] = [
        "width=abc", "width=-1", "width=0", "width=199", "width=3001", "width=99999999999999999999", "width=1e3",
        "width=800.5", "width=%20800", "height=99", "height=1501", "height=", "height",
        "points=9", "points=10001", "points=-5",
        "start=yesterday", "start=N", "start=now-1d", "start=-1", "start=-1x", "start=--1d", "start=-0d",
        "start=-9999999d", "start=1e9", "start=-1d;rm%20-rf", "end=start", "end=tomorrow",
        "start=now&end=-1d", "start=100&end=50", "start=0&end=600", "start=-200y",
        "end=9999999999", "start=\(Int.max)",
        "pair=ETH-USD", "pair=BTC-EUR", "pair=../../etc/passwd", "pair=BTC-USD.rrd", "pair=%2e%2e%2fetc", "pair=btc-usd",
        "pair=BTC-USD%00", "pair=BTC-USD%0aX-Injected:1", "pair=<script>", "pair=",
        "style=bold", "style=LINE", "style=line%3BDEF", "style=band:STACK",
        "start=-1d&start=-2d", "pair=BTC-USD&pair=BTC-USD",
        "foo=bar", "DEF%3Ax%3D%2Fetc%2Fpasswd%3Arate%3AAVERAGE=1", "--daemon=unix:/tmp/x", "imgformat=SVG",
        "width=%zz", "width=%4", "start=%ff%fe", "start=%C3%A9", "start=-1d%20", "start=-1d+",
        String(repeating: "a", count: 600), "width=" + String(repeating: "9", count: 300),
        "start=-1d&" + String(repeating: "x=1&", count: 200),
    ]

    @Test func thereAreAtLeastFiftyOfThem() {
        #expect(Self.queries.count >= 50)
    }

    @Test func everyOneIsRefusedWithA4xxAndChangesNothing() async throws {
        let fixture = try GraphFixture()
        let before = try fixture.snapshot()
        try await fixture.application().test(.router) { client in
            for query in Self.queries {
                for endpoint in ["/graph.png", "/graph.json", "/data.json", "/data.csv"] {
                    try await client.execute(uri: "\(endpoint)?\(query)", method: .get) { response in
                        #expect((400..<500).contains(response.status.code), "\(endpoint)?\(query) gave \(response.status)")
                        let body = response.body.text
                        #expect(body.count < 300, "long error body for \(query)")
                        #expect(!body.contains("/etc/passwd") && !body.contains("<script>") && !body.contains("\n"))
                        #expect(response.headers[HTTPField.Name("X-Injected")!] == nil)
                    }
                }
            }
        }
        #expect(try fixture.snapshot() == before)
        #expect(!fixture.log.lines.contains { $0.level >= .error })
    }

    @Test func otherMethodsAndPathsAreRefusedToo() async throws {
        let fixture = try GraphFixture()
        try await fixture.application().test(.router) { client in
            for (uri, method) in [("/graph.png", HTTPRequest.Method.post), ("/graph.png", .delete), ("/../etc/passwd", .get),
                                  ("/static/../../etc/passwd", .get), ("/BTC-USD.rrd", .get), ("/last-run.json", .get)] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect((400..<500).contains(response.status.code), "\(method) \(uri) gave \(response.status)")
                }
            }
        }
    }

    /// librrd reads small numbers as times of day or YYYYMMDD dates: a numeric
    /// time before 1980 is a 400 that says so, never a 500 or a wrong graph.
    @Test func numericTimesBefore1980AreRefusedWithAClearReason() async throws {
        let fixture = try GraphFixture()
        try await fixture.application().test(.router) { client in
            for query in ["start=20200101", "start=0&end=600", "start=315532799&end=now", "end=1200"] {
                try await client.execute(uri: "/graph.png?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest, "\(query) gave \(response.status)")
                    #expect(response.body.text.contains("before 1980-01-01"), "\(query): \(response.body.text)")
                }
            }
            try await client.execute(uri: "/graph.json?start=315532800&end=315619200", method: .get) { response in
                #expect(response.status != .badRequest && response.status.code < 500)
            }
        }
    }

    /// DNS rebinding: a foreign Host gets 421, on every endpoint; the default list
    /// holds localhost, and * turns the check off.
    @Test func aForeignHostHeaderGets421() async throws {
        let fixture = try GraphFixture()
        fixture.configuration.allowedHosts = ["graphs.example.org"]
        // The test client always sends Host: localhost, which this list leaves out.
        try await fixture.application().test(.router) { client in
            for uri in ["/", "/data.json", "/alerts.json", "/metrics", "/healthz", "/graph.png"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status.code == 421, "\(uri) gave \(response.status)")
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                }
            }
        }
        let open = try GraphFixture()
        open.configuration.allowedHosts = ["*"]
        try await open.application().test(.router) { client in
            try await client.execute(uri: "/data.json", method: .get) { #expect($0.status == .ok) }
        }
        let byDefault = try GraphFixture()
        try await byDefault.application().test(.router) { client in
            try await client.execute(uri: "/data.json", method: .get) { #expect($0.status == .ok) }
        }
        #expect(HostCheckMiddleware<BasicRequestContext>.host(of: "Example.ORG:8610") == "example.org")
        #expect(HostCheckMiddleware<BasicRequestContext>.host(of: "[::1]:8610") == "::1")
        #expect(HostCheckMiddleware<BasicRequestContext>.host(of: "evil.example") == "evil.example")
        var configuration = Configuration()
        configuration.listen = ListenAddress(host: "0.0.0.0", port: 8610)
        configuration.externalURL = "https://btc.example.net/graphs/"
        #expect(configuration.resolvedAllowedHosts == ["0.0.0.0", "localhost", "127.0.0.1", "::1", "btc.example.net"])
    }

    @Test func parsingIsStrictAtTheDomainLevel() throws {
        let pairs = [try CurrencyPair(parsing: "BTC-USD")]
        let query = try GraphQuery(rawQuery: "pair=BTC-USD&start=-6h&end=now&width=640&height=240&style=band&points=50", pairs: pairs)
        #expect(query.start == .ago(21_600) && query.end == .now && query.width == 640 && query.style == .band && query.points == 50)
        #expect(throws: GraphQuery.Invalid.self) { try GraphQuery(rawQuery: "start=-6h&start=-1d", pairs: pairs) }
        #expect(TimeSpec(parsing: "-90min") == .ago(5400))
        #expect(TimeSpec(parsing: "1705320000") == .absolute(1_705_320_000))
        #expect(TimeSpec(parsing: "now-1d") == nil)
    }

    @Test func noParameterReachesLibrrdAsText() throws {
        // Only numbers we formatted, names we checked and the configured path appear in the arguments.
        let pair = try CurrencyPair(parsing: "BTC-USD")
        let query = try GraphQuery(rawQuery: "width=640&height=240&style=band&theme=dark&dpr=2", pairs: [pair])
        let graph = GraphArguments.graph([.init(pair: pair, path: "/var/lib/btc:rate/BTC-USD.rrd")], query: query,
                                         range: 1000...5000, style: .band)
        #expect(graph.arguments.contains("DEF:rate0=/var/lib/btc\\:rate/BTC-USD.rrd:rate:AVERAGE"))
        #expect(graph.arguments.contains("--start") && graph.arguments.contains("1000") && graph.arguments.contains("5000"))
        #expect(!graph.arguments.contains { $0.hasPrefix("--daemon") })
        #expect(graph.probe?.arguments.contains("DEF:rate0=/var/lib/btc\\:rate/BTC-USD.rrd:rate:AVERAGE") == true)
    }
}
