/// One HTTP request for `CurlHTTPClient`. Every limit has a safe default.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var url: String
    public var method: Method
    public var headers: [String]
    public var body: [UInt8]
    /// Seconds allowed to establish the connection (TCP and TLS).
    public var connectTimeout: Double
    /// Seconds allowed for the whole transfer, connection included.
    public var totalTimeout: Double
    /// The largest response body accepted; a larger one fails as `bodyTooLarge`
    /// whether or not the server announced its length.
    public var maxBodyBytes: Int

    public init(
        url: String, method: Method = .get, headers: [String] = [], body: [UInt8] = [],
        connectTimeout: Double = 5, totalTimeout: Double = 15, maxBodyBytes: Int = 1 << 20
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxBodyBytes = maxBodyBytes
    }
}

/// A complete response. HTTP error statuses are responses, not thrown errors:
/// the caller decides what a 429 or a 500 means.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let body: [UInt8]
    /// Seconds the transfer took, as libcurl measured it.
    public let duration: Double
    /// The server's `Date` header as Unix seconds, if it sent a readable one.
    public let date: Int?

    public init(status: Int, body: [UInt8], duration: Double, date: Int? = nil) {
        self.status = status
        self.body = body
        self.duration = duration
        self.date = date
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a transfer produced no complete response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connect or total timeout passed.
    case timeout(String)
    /// No connection: refused, unreachable, or the name did not resolve.
    case connectionFailed(String)
    /// The body grew past `HTTPRequest.maxBodyBytes`.
    case bodyTooLarge(limit: Int)
    /// The connection broke or the body was cut short.
    case transferFailed(String)
    /// TLS could not be established or verified.
    case tlsFailed(String)
    /// Anything else libcurl reported, with its code.
    case curl(code: Int, message: String)

    public var description: String {
        switch self {
        case .timeout(let message): "timed out: \(message)"
        case .connectionFailed(let message): "connection failed: \(message)"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .transferFailed(let message): "transfer failed: \(message)"
        case .tlsFailed(let message): "TLS failed: \(message)"
        case .curl(let code, let message): "libcurl error \(code): \(message)"
        }
    }
}
