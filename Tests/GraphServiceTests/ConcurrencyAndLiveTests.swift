@testable import BTCRateGraph
import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// librrd's renderer crashes under concurrency in 1.7.2; the render workers must
/// make many simultaneous requests safe. And the service over a real socket.
@Suite struct ConcurrencyAndLiveTests {
    @Test func manySimultaneousDifferentRendersDoNotCrash() async throws {
        let fixture = try GraphFixture()
        try await fixture.application().test(.live) { client in
            try await withThrowingTaskGroup(of: (Int, Int, [UInt8]).self) { group in
                for index in 0..<48 {
                    let width = 300 + index * 7
                    let height = 120 + index * 3
                    let style = ["line", "band"][index % 2]
                    let start = ["-6h", "-1d", "-7d", "-30d"][index % 4]
                    group.addTask {
                        try await client.execute(uri: "/graph.png?start=\(start)&width=\(width)&height=\(height)&style=\(style)", method: .get) {
                            (width, height, $0.body.bytes)
                        }
                    }
                }
                var count = 0
                for try await (width, height, bytes) in group {
                    let header = try #require(PNGHeader(bytes))
                    #expect(header.width == width && header.height == height)
                    count += 1
                }
                #expect(count == 48)
            }
        }
    }

    @Test func identicalRequestsArrivingTogetherAreRenderedOnce() async throws {
        let fixture = try GraphFixture()
        try await fixture.application().test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask { _ = try await client.execute(uri: "/graph.png?start=-7d&width=1200&height=400", method: .get) { $0.status } }
                }
                try await group.waitForAll()
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { $0.body.text }
            #expect(metrics.contains("btcrate_render_seconds_count 1"))
            #expect(metrics.contains("btcrate_render_cache_hits_total 15"))
        }
    }

    @Test func theLiveServerServesThePageAndAGraph() async throws {
        let fixture = try GraphFixture()
        try await fixture.application().test(.live) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            }
            try await client.execute(uri: "/graph.png?start=-6h", method: .get) { response in
                #expect(PNGHeader(response.body.bytes) != nil)
            }
        }
    }
}
