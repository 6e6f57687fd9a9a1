import BTCRateCore
import Foundation

/// An `HTTPFetching` that answers from a table keyed by URL and records what
/// was asked. Unknown URLs fail as refused connections.
public final class CannedHTTP: HTTPFetching, @unchecked Sendable {
    public enum Answer: Sendable {
        case status(Int, String)
        case failure(TransportFailure)
    }

    private let lock = NSLock()
    private var answers: [String: Answer]
    private var log: [String] = []
    private var serverDate: Date?

    public init(_ answers: [String: Answer]) {
        self.answers = answers
    }

    public var requested: [String] { lock.withLock { log } }

    /// The `Date` header every answer carries from now on (nil: none).
    public func setDate(_ date: Date?) {
        lock.withLock { serverDate = date }
    }

    public func set(_ url: String, _ answer: Answer) {
        lock.withLock { answers[url] = answer }
    }

    public func get(_ url: String) async throws(TransportFailure) -> FetchedBody {
        let (answer, date) = lock.withLock { () -> (Answer?, Date?) in
            log.append(url)
            return (answers[url], serverDate)
        }
        switch answer {
        case .status(let code, let body)?: return FetchedBody(status: code, body: Array(body.utf8), date: date)
        case .failure(let failure)?: throw failure
        case nil: throw TransportFailure(kind: .connectionFailed, detail: "no canned answer for \(url)")
        }
    }
}
