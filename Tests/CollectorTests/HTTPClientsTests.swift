@testable import BTCRateCLI
import FakePriceServer
import Foundation
import LibCurl
import Testing

/// btcrate's two HTTP clients against a real loopback server that misbehaves on
/// purpose: libcurl (`CurlHTTPClient`, everything) and SwiftNIO
/// (`PlainHTTPClient`, the watchdog's probe of an http:// graph service). The
/// same misbehaviour must give both the same answer. What only one of them
/// does is tested on its own: libcurl's Date header, schemes and POST in
/// LibraryWrapperTests/CurlHTTPClientTests, the URLs the NIO client takes here.
@Suite(.serialized) struct HTTPClientsTests {
    enum Client: String, CaseIterable, Sendable {
        case libcurl, swiftNIO

        func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
            switch self {
            case .libcurl:
                do { return try await CurlHTTPClient(userAgent: "btcrate-test/1").send(request) } catch { throw error as? HTTPClientError ?? .transferFailed("\(error)") }
            case .swiftNIO:
                return try await PlainHTTPClient(userAgent: "btcrate-test/1").send(request)
            }
        }
    }

    let server = try! FakePriceServer()

    func get(_ client: Client, _ url: String? = nil, total: Double = 5, cap: Int = 1 << 20) async throws(HTTPClientError) -> HTTPResponse {
        try await client.send(HTTPRequest(url: url ?? server.baseURL + "/products/BTC-USD/ticker", connectTimeout: 2,
                                          totalTimeout: total, maxBodyBytes: cap))
    }

    func failure(_ client: Client, _ url: String? = nil, total: Double = 5, cap: Int = 1 << 20) async -> HTTPClientError? {
        do throws(HTTPClientError) {
            _ = try await get(client, url, total: total, cap: cap)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: Client.allCases)
    func aGoodAnswer(_ client: Client) async throws {
        let response = try await get(client)
        #expect(response.status == 200)
        #expect(response.text.contains("\"price\""))
        #expect(server.requests().last == "/products/BTC-USD/ticker")
    }

    @Test(arguments: Client.allCases)
    func httpErrorsAreAnswersNotThrows(_ client: Client) async throws {
        server.set(.coinbase, .body("stale", status: 503))
        let response = try await get(client)
        #expect(response.status == 503 && response.text == "stale")
    }

    @Test(arguments: Client.allCases)
    func aSlowServerTimesOut(_ client: Client) async {
        server.set(.coinbase, .slow(seconds: 3))
        guard case .timeout? = await failure(client, total: 0.5) else { Issue.record("expected a timeout"); return }
    }

    /// A listener whose queue takes the connection but never accepts it: the
    /// connect succeeds, and the whole-answer deadline ends the wait.
    @Test(arguments: Client.allCases)
    func aServerThatNeverAcceptsTimesOut(_ client: Client) async {
        let (port, holder) = CommandLineTests.listeningSocket()
        defer { close(holder) }
        guard case .timeout? = await failure(client, "http://127.0.0.1:\(port)/healthz", total: 0.5) else {
            Issue.record("expected a timeout"); return
        }
    }

    @Test(arguments: Client.allCases)
    func aRefusedConnection(_ client: Client) async {
        let port = CommandLineTests.freePort()
        guard case .connectionFailed? = await failure(client, "http://127.0.0.1:\(port)/healthz") else {
            Issue.record("expected connectionFailed"); return
        }
    }

    @Test(arguments: Client.allCases, [FakeBehaviour.truncated, .closeMidBody, .closeImmediately])
    func anAnswerCutShortIsAFailedTransfer(_ client: Client, _ behaviour: FakeBehaviour) async {
        server.set(.coinbase, behaviour)
        let error = await failure(client)
        guard case .transferFailed? = error else { Issue.record("expected transferFailed, got \(String(describing: error))"); return }
    }

    @Test(arguments: Client.allCases, [FakeBehaviour.oversized(bytes: 100_000), .chunkedOversized(bytes: 100_000)])
    func anOversizedBodyIsRefused(_ client: Client, _ behaviour: FakeBehaviour) async {
        server.set(.coinbase, behaviour)
        #expect(await failure(client, cap: 5000) == .bodyTooLarge(limit: 5000))
    }

    /// A server that answers something that is not HTTP.
    @Test(arguments: Client.allCases)
    func aLyingServerIsAFailedTransfer(_ client: Client) async throws {
        let (port, listener) = CommandLineTests.listeningSocket()
        defer { close(listener) }
        let liar = Thread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var request = [UInt8](repeating: 0, count: 4096)
            _ = read(connection, &request, request.count)
            let garbage = Array("SSH-2.0-OpenSSH_9.2\r\nnot an answer\r\n\r\n".utf8)
            _ = write(connection, garbage, garbage.count)
            close(connection)
        }
        liar.start()
        let error = await failure(client, "http://127.0.0.1:\(port)/healthz")
        // libcurl calls an answer it cannot parse a weird server reply (CURLE_WEIRD_SERVER_REPLY).
        switch error {
        case .transferFailed?, .curl?: break
        default: Issue.record("expected a failed transfer, got \(String(describing: error))")
        }
    }

    // MARK: what only the SwiftNIO client does

    @Test func theTargetOfAURL() {
        #expect(PlainHTTPClient.target("http://127.0.0.1:8080/healthz") == .init(host: "127.0.0.1", port: 8080, path: "/healthz", authority: "127.0.0.1:8080"))
        #expect(PlainHTTPClient.target("HTTP://localhost") == .init(host: "localhost", port: 80, path: "/", authority: "localhost"))
        #expect(PlainHTTPClient.target("http://[::1]:9/a?b=c#d") == .init(host: "::1", port: 9, path: "/a?b=c", authority: "[::1]:9"))
        #expect(PlainHTTPClient.target("http://graph.example?x=1") == .init(host: "graph.example", port: 80, path: "/?x=1", authority: "graph.example"))
        for other in ["https://127.0.0.1/healthz", "ftp://x/", "http://user:pw@host/", "http://host:0/", "http://host:99999/",
                      "http://host:/", "http:///path", "http://[::1/", "http://[::1]x/"] {
            #expect(PlainHTTPClient.target(other) == nil, "\(other)")
        }
    }

    @Test func theSwiftNIOClientSendsPlainHTTPGETsOnly() async {
        let client = PlainHTTPClient(userAgent: "btcrate-test/1")
        for request in [HTTPRequest(url: "https://127.0.0.1:1/healthz"), HTTPRequest(url: server.baseURL + "/x", method: .post)] {
            do throws(HTTPClientError) {
                _ = try await client.send(request)
                Issue.record("\(request.method.rawValue) \(request.url) was sent")
            } catch {
                guard case .transferFailed = error else { Issue.record("got \(error)"); return }
            }
        }
        #expect(server.requests().isEmpty)
    }
}
