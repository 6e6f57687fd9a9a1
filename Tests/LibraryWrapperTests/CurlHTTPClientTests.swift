import FakePriceServer
import Foundation
import LibCurl
import Testing

/// What only libcurl does, against a real loopback server. The server's
/// misbehaviours (slow, cut short, oversized, refusing, lying) are put to both of
/// btcrate's HTTP clients at once in CollectorTests/HTTPClientsTests.
@Suite(.serialized) struct CurlHTTPClientTests {
    let server = try! FakePriceServer()
    let client = CurlHTTPClient(userAgent: "btcrate-test/1")

    func get(_ path: String = "/products/BTC-USD/ticker") async throws -> HTTPResponse {
        try await client.send(HTTPRequest(url: server.baseURL + path, connectTimeout: 2, totalTimeout: 5))
    }

    @Test func theDateHeaderIsTheServersClock() async throws {
        // The fake's clock stopped in 2024: the header carries the server's time, not this machine's.
        let ahead = Date(timeIntervalSince1970: 1_705_320_037)
        server.setClock { ahead }
        #expect(try await get().date == 1_705_320_037)
        server.setDateHeaders(false)
        #expect(try await get().date == nil)
    }

    @Test func onlyWebSchemesAreAllowed() async {
        do {
            _ = try await client.send(HTTPRequest(url: "file:///etc/passwd"))
            Issue.record("file:// was fetched")
        } catch {
            #expect(error is HTTPClientError)
        }
    }

    @Test func postSendsItsBody() async throws {
        let response = try await client.send(HTTPRequest(url: server.baseURL + "/_fake/behaviour?mode=reset", method: .post,
                                                         headers: ["Content-Type: application/json"], body: Array("{}".utf8)))
        #expect(response.status == 200)
    }
}
