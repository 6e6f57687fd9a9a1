import FoundationEssentials
import Glibc
import Hummingbird

/// A 4xx/5xx answer with a one-line reason as JSON.
struct ErrorAnswer: Error {
    let status: HTTPResponse.Status
    let reason: String
    /// Seconds for `Retry-After` (a 503 from a full render queue).
    var retryAfter: Int?
    /// Unix seconds when the next sample is due (a 404 for a pair with no data yet).
    var nextSampleDue: Int?

    init(_ status: HTTPResponse.Status, _ reason: String, retryAfter: Int? = nil, nextSampleDue: Int? = nil) {
        self.status = status
        self.reason = reason
        self.retryAfter = retryAfter
        self.nextSampleDue = nextSampleDue
    }

    var response: Response {
        struct Body: Encodable {
            let error: String
            let nextSampleDue: Int?
        }
        var response = JSONAnswer.response(Body(error: reason, nextSampleDue: nextSampleDue), status: status)
        if let retryAfter { response.headers[.retryAfter] = "\(retryAfter)" }
        return response
    }
}

/// JSON bodies: snake_case keys, sorted, never cached by a proxy.
enum JSONAnswer {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache"
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
