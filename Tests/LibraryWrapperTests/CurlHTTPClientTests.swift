import FakePriceServer
import Foundation
import LibCurl
import Testing

/// libcurl against a real loopback server that misbehaves on purpose.
@Suite(.serialized) struct CurlHTTPClientTests {
    let server = try! FakePriceServer()
    let client = CurlHTTPClient(userAgent: "btcrate-test/1")

    func get(_ path: String = "/products/BTC-USD/ticker", total: Double = 5, cap: Int = 1 << 20) async throws -> HTTPResponse {
        try await client.send(HTTPRequest(url: server.baseURL + path, connectTimeout: 2, totalTimeout: total, maxBodyBytes: cap))
    }

    func failure(_ path: String = "/products/BTC-USD/ticker", total: Double = 5, cap: Int = 1 << 20) async -> HTTPClientError? {
        do {
            _ = try await get(path, total: total, cap: cap)
            return nil
        } catch { return error as? HTTPClientError }
    }

    @Test func aGoodAnswer() async throws {
        let response = try await get()
        #expect(response.status == 200)
        #expect(response.text.contains("\"price\""))
    }

    @Test func theDateHeaderIsTheServersClock() async throws {
        // The fake's clock stopped in 2024: the header carries the server's time, not this machine's.
        let ahead = Date(timeIntervalSince1970: 1_705_320_037)
        server.setClock { ahead }
        #expect(try await get().date == 1_705_320_037)
        server.setDateHeaders(false)
        #expect(try await get().date == nil)
    }

    @Test func httpErrorsAreResponsesNotThrows() async throws {
        server.set(.coinbase, .body("nope", status: 503))
        let response = try await get()
        #expect(response.status == 503 && response.text == "nope")
    }

    @Test func aSlowServerTimesOut() async {
        server.set(.coinbase, .slow(seconds: 3))
        guard case .timeout? = await failure(total: 0.5) else { Issue.record("expected a timeout"); return }
    }

    @Test func aRefusedConnection() async throws {
        let closed = try FakePriceServer()
        let url = closed.baseURL
        closed.stop()
        do {
            _ = try await client.send(HTTPRequest(url: url + "/x", connectTimeout: 1, totalTimeout: 2))
            Issue.record("expected a failure")
        } catch let error as HTTPClientError {
            guard case .connectionFailed = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test func aTruncatedBody() async {
        server.set(.coinbase, .truncated)
        let error = await failure()
        guard case .transferFailed? = error else { Issue.record("expected transferFailed, got \(String(describing: error)); server saw \(server.requests()) on \(server.port)"); return }
    }

    @Test func aConnectionClosedMidBody() async {
        server.set(.coinbase, .closeMidBody)
        guard case .transferFailed? = await failure() else { Issue.record("expected transferFailed"); return }
    }

    @Test func aConnectionClosedWithoutAWord() async {
        server.set(.coinbase, .closeImmediately)
        guard case .transferFailed? = await failure() else { Issue.record("expected transferFailed"); return }
    }

    @Test func anAnnouncedOversizedBodyIsRefused() async {
        server.set(.coinbase, .oversized(bytes: 100_000))
        #expect(await failure(cap: 5000) == .bodyTooLarge(limit: 5000))
    }

    @Test func aChunkedOversizedBodyIsCutOff() async {
        server.set(.coinbase, .chunkedOversized(bytes: 100_000))
        #expect(await failure(cap: 5000) == .bodyTooLarge(limit: 5000))
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
