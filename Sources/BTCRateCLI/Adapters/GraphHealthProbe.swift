import LibCurl

/// How btcrate asks a graph service's `/healthz`: the watchdog at every
/// evaluation (GraphServiceDown) and `btcrate healthcheck` (the image's
/// HEALTHCHECK). 2 s to connect, 5 s in all, 64 KiB at most; `http://` over
/// SwiftNIO (`PlainHTTPClient`), so that neither opens libcurl and its TLS
/// stack for a probe on this host, and `https://` through libcurl.
struct GraphHealthProbe: Sendable {
    private let plain: PlainHTTPClient
    private let curl: CurlHTTPClient

    init(userAgent: String) {
        plain = PlainHTTPClient(userAgent: userAgent)
        curl = CurlHTTPClient(userAgent: userAgent)
    }

    func ask(_ url: String) async throws -> HTTPResponse {
        let request = HTTPRequest(url: url, connectTimeout: 2, totalTimeout: 5, maxBodyBytes: 65_536)
        return PlainHTTPClient.target(url) != nil ? try await plain.send(request) : try await curl.send(request)
    }
}
