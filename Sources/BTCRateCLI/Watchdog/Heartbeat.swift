import BTCRateCore
import FoundationEssentials
import Glibc
import LibCurl
import Logging

/// `notify.heartbeat_url`: a GET every watchdog.heartbeat_interval while the
/// watchdog evaluates and saves its state, as healthchecks-style services expect.
/// The service pages when the pings stop: a watchdog killed, hung or unable to
/// write is then never mistaken for an all-clear.
final class Heartbeat: Sendable {
    let url: String
    let timeout: Double
    let logger: Logger
    private let client = CurlHTTPClient(userAgent: "btcrate-watchdog/\(BTCRateVersion.current)")
    /// At most one ping in flight: a hung receiver does not pile them up.
    private let inFlight = QueuedFlag()
    private let failing = LockedValue(false)

    init(url: String, timeout: Double, logger: Logger) {
        self.url = url
        self.timeout = timeout
        self.logger = logger
    }

    func ping() {
        guard inFlight.claim() else { return }
        Task.detached { [self] in
            defer { inFlight.clear() }
            do {
                let response = try await client.send(HTTPRequest(
                    url: url, connectTimeout: min(5, timeout), totalTimeout: timeout, maxBodyBytes: 4096))
                guard (200..<300).contains(response.status) else { throw DeliveryError(description: "HTTP \(response.status)") }
                if failing.exchange(false) { logger.notice("heartbeat to notify.heartbeat_url works again", metadata: ["sink": "heartbeat"]) }
            } catch {
                // A warning once per outage; the receiver's own alarm is the page.
                let level: Logger.Level = failing.exchange(true) ? .info : .warning
                logger.log(level: level, "heartbeat to notify.heartbeat_url (\(URLMask.mask(url))) failed: \(error)", metadata: [
                    "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "heartbeat", "error_class": "delivery_failed",
                ])
            }
        }
    }
}
