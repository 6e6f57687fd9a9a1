import BTCRateCore
import HTTPTypes
import Hummingbird

/// Answers 421 Misdirected Request to a request whose Host is not one of
/// graph.allowed_hosts. A page on a foreign name that an attacker points at
/// this address (DNS rebinding) is thereby kept from reading /data.json,
/// /alerts.json or /metrics through a visitor's browser. A request without a
/// Host (HTTP/1.0, a health probe) is answered: a browser always sends one.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Lowercased names, IPv6 without brackets; nil: any host.
    let allowed: Set<String>?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allowed, let authority = request.head.authority,
              !allowed.contains(Self.host(of: authority)) else {
            return try await next(request, context)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .init(code: 421, reasonPhrase: "Misdirected Request"), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: "this service does not answer for that host name; see graph.allowed_hosts\n")))
    }

    /// "Example.org:8610" → "example.org", "[::1]:8610" → "::1".
    static func host(of authority: String) -> String {
        // The port goes: after "]" for IPv6, after the only colon otherwise.
        var host = Substring(authority)
        if let colon = host.lastIndex(of: ":"), host.hasPrefix("[") ? host[..<colon].hasSuffix("]") : host.firstIndex(of: ":") == colon {
            host = host[..<colon]
        }
        return Configuration.hostName(String(host))
    }
}
