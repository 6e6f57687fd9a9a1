import BTCRateCore
import FoundationEssentials
import Glibc
import LibCurl

/// The sources' HTTP GET, done by libcurl with the configured limits.
struct CurlFetcher: HTTPFetching {
    let client: CurlHTTPClient
    let connectTimeout: Double
    let totalTimeout: Double
    let maxBodyBytes: Int

    init(configuration: Configuration) {
        client = CurlHTTPClient(userAgent: "btcrate/\(BTCRateVersion.current) (+https://github.com/btcrate/btcrate)")
        connectTimeout = configuration.connectTimeout
        totalTimeout = configuration.totalTimeout
        maxBodyBytes = configuration.maxBodyBytes
    }

    func get(_ url: String) async throws(TransportFailure) -> FetchedBody {
        let request = HTTPRequest(url: url, headers: ["Accept: application/json"],
                                  connectTimeout: connectTimeout, totalTimeout: totalTimeout,
                                  maxBodyBytes: maxBodyBytes)
        do {
            let response = try await client.send(request)
            return FetchedBody(status: response.status, body: response.body,
                               date: response.date.map { Date(timeIntervalSince1970: TimeInterval($0)) })
        } catch let error as HTTPClientError {
            throw Self.classify(error)
        } catch {
            throw TransportFailure(kind: .transferFailed, detail: "\(error)")
        }
    }

    static func classify(_ error: HTTPClientError) -> TransportFailure {
        switch error {
        case .timeout(let message): TransportFailure(kind: .timeout, detail: message)
        case .connectionFailed(let message): TransportFailure(kind: .connectionFailed, detail: message)
        case .bodyTooLarge: TransportFailure(kind: .bodyTooLarge, detail: error.description)
        case .transferFailed(let message): TransportFailure(kind: .transferFailed, detail: message)
        case .tlsFailed(let message): TransportFailure(kind: .connectionFailed, detail: "TLS: \(message)")
        case .curl: TransportFailure(kind: .transferFailed, detail: error.description)
        }
    }
}
