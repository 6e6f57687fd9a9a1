@testable import BTCRateGraph
import BTCRateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// What HTTP clients and reverse proxies rely on: HEAD, 405, conditional
/// requests with `*` and weak tags, Cache-Control that lets a proxy cache,
/// and a /healthz that tells a starved service from a stale one.
@Suite struct HTTPSemanticsTests {
    let fixture = try! GraphFixture()

    @Test func headAnswersWhereGetDoesWithTheSameHeadersAndNoBody() async throws {
        try await fixture.application().test(.router) { client in
            let get = try await client.execute(uri: "/graph.png?start=-1d", method: .get) { $0 }
            let head = try await client.execute(uri: "/graph.png?start=-1d", method: .head) { $0 }
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == "\(get.body.readableBytes)")
            #expect(head.headers[.eTag] == get.headers[.eTag] && head.headers[.contentType] == "image/png")
            for path in ["/", "/healthz", "/metrics", "/graph.json?start=-1d", "/data.csv?start=-1d", "/alerts.json"] {
                try await client.execute(uri: path, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(path)")
                    #expect(response.body.readableBytes == 0)
                }
            }
        }
    }

    @Test func otherMethodsGet405WithAllow() async throws {
        try await fixture.application().test(.router) { client in
            for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] {
                try await client.execute(uri: "/graph.png?start=-1d", method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                }
            }
            try await client.execute(uri: "/no-such-page", method: .post) { #expect($0.status == .notFound) }
        }
    }

    @Test func ifNoneMatchTakesStarAndWeakTags() async throws {
        try await fixture.application().test(.router) { client in
            let uri = "/graph.png?start=-1d"
            let tag = try #require(try await client.execute(uri: uri, method: .get) { $0.headers[.eTag] })
            for header in [tag, "W/\(tag)", "\"other\", W/\(tag)", "*"] {
                try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: header]) { response in
                    #expect(response.status == .notModified, "If-None-Match: \(header)")
                    #expect(response.headers[.eTag] == tag && response.body.readableBytes == 0)
                }
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""]) { #expect($0.status == .ok) }
            // Each representation of a view has its own tag.
            let json = try await client.execute(uri: "/data.json?start=-1d", method: .get) { $0.headers[.eTag] }
            let csv = try await client.execute(uri: "/data.csv?start=-1d", method: .get) { $0.headers[.eTag] }
            #expect(Set([tag, json, csv].compactMap { $0 }).count == 3)
            try await client.execute(uri: "/data.csv?start=-1d", method: .get, headers: [.ifNoneMatch: csv ?? ""]) {
                #expect($0.status == .notModified)
            }
        }
    }

    /// A live view may be cached until the next sample is due (12:01:00, the
    /// fixture's clock being 12:00:37); one that ended a day before the newest
    /// row can get no newer data and is kept a day.
    @Test func cacheControlFollowsWhenTheDataCanChange() async throws {
        try await fixture.application().test(.router) { client in
            let live = try await client.execute(uri: "/graph.png?start=-1d", method: .get) { $0.headers[.cacheControl] }
            #expect(live == "public, max-age=23")
            let recent = GraphFixture.lastSlot
            let fixed = try await client.execute(uri: "/graph.png?start=\(recent - 86_400)&end=\(recent)", method: .get) { $0.headers[.cacheControl] }
            #expect(fixed == "public, max-age=23", "its last rows may still be completed")
            let old = GraphFixture.lastSlot - 3 * 86_400
            let settled = try await client.execute(uri: "/graph.png?start=\(old - 86_400)&end=\(old)", method: .get) { $0.headers[.cacheControl] }
            #expect(settled == "public, max-age=86400")
            let data = try await client.execute(uri: "/data.json?start=\(old - 86_400)&end=\(old)", method: .get) { $0.headers[.cacheControl] }
            #expect(data == "public, max-age=86400")
            // Answers about the service, and errors, are never cached.
            for path in ["/healthz", "/graph.json?start=-1d", "/graph.png?start=1"] {
                let control = try await client.execute(uri: path, method: .get) { $0.headers[.cacheControl] }
                #expect(control == "no-cache", "\(path)")
            }
        }
        #expect(CachePolicy.secondsUntilNextSample(now: GraphFixture.lastSlot + 59) == 1)
        #expect(CachePolicy.secondsUntilNextSample(now: GraphFixture.lastSlot + 60) == 600)
    }

    /// No render worker can start: /healthz says "starved" with a reason, which
    /// the watchdog reports as GraphServiceDown (a stale 503 it does not).
    @Test func healthSaysStarvedWhenNoWorkerCanRender() async throws {
        let broken = try GraphFixture(workers: WorkerCommand(executable: "/bin/false", arguments: ["false"]))
        await broken.service.renderPool.start()
        try await broken.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try response.body.json()
                #expect(body["status"] as? String == "starved")
                #expect((body["reasons"] as? [String])?.first?.hasPrefix("renders: no render worker is running") == true)
                let render = try #require(body["render"] as? [String: Any])
                #expect(render["live_workers"] as? Int == 0 && render["workers"] as? Int == 2)
                #expect(Observation.Reachability.health(status: response.status.code, body: Array(response.body.readableBytesView)) != .up)
            }
        }
        await broken.service.renderPool.stop()
        // A healthy service reports its workers and an empty queue.
        await fixture.service.renderPool.start()
        try await fixture.application().test(.router) { client in
            let body = try await client.execute(uri: "/healthz", method: .get) { try $0.body.json() }
            let render = try #require(body["render"] as? [String: Any])
            #expect(body["status"] as? String == "ok")
            #expect(render["live_workers"] as? Int == 2 && render["queue_depth"] as? Int == 0 && render["max_queue"] as? Int == 64)
        }
        await fixture.service.renderPool.stop()
    }
}
