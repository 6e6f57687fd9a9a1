import FoundationEssentials
import Glibc

/// The HTTP GET that sources need, behind a protocol so that the domain stays
/// free of libcurl (the real implementation lives in BTCRateCLI) and tests can
/// substitute canned answers.
public protocol HTTPFetching: Sendable {
    func get(_ url: String) async throws(TransportFailure) -> FetchedBody
}

public struct FetchedBody: Sendable {
    public let status: Int
    public let body: [UInt8]
    /// The server's clock, from the answer's `Date` header; nil when it sent none.
    /// Validation compares it with this machine's clock (`clock_skew`).
    public let date: Date?

    public init(status: Int, body: [UInt8], date: Date? = nil) {
        self.status = status
        self.body = body
        self.date = date
    }
}

/// A transport-level failure, already classified.
public struct TransportFailure: Error, Sendable {
    public let kind: FetchFailure.Kind
    public let detail: String

    public init(kind: FetchFailure.Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }
}

extension HTTPFetching {
    /// GET, then turn transport failures and HTTP error statuses into `FetchFailure`s
    /// attributed to `source`. Error details pass through `redactor` first.
    func fetchOK(_ url: String, source: SourceID, redactor: Redactor = Redactor()) async throws(FetchFailure) -> FetchedBody {
        let response: FetchedBody
        do {
            response = try await get(url)
        } catch {
            throw FetchFailure(error.kind, source: source, detail: redactor.redact(error.detail))
        }
        switch response.status {
        case 200..<300:
            return response
        case 429:
            throw FetchFailure(.rateLimited, source: source, detail: "HTTP 429")
        default:
            let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw FetchFailure(.httpError, source: source,
                               detail: redactor.redact("HTTP \(response.status): \(excerpt)"))
        }
    }
}
