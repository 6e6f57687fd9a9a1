import BTCRateCore
import BTCRateGraph
import BlockingCalls
import FoundationEssentials
import Glibc
import LibCurl

/// A receiver of alert notifications besides the journal.
protocol AlertSink: Sendable {
    /// A short name for logs and `btcrate alerts test`: webhook, slack, alertmanager, email.
    var name: String { get }
    /// Whether notify.group_wait batches this sink's notifications: not for
    /// Alertmanager, which groups (and waits) by itself.
    var batches: Bool { get }
    /// `transitions`: the changes; `firing`: every alert the sinks know as firing,
    /// the group's current list (the webhook sends it whole).
    func deliver(_ transitions: [Transition], firing: [AlertState], payloads: AlertPayloads) async throws
}

/// A delivery answered with something other than success.
struct DeliveryError: Error, CustomStringConvertible {
    let description: String
}

/// POSTs JSON with libcurl and treats any 2xx as delivered.
struct JSONPoster: Sendable {
    let client = CurlHTTPClient(userAgent: "btcrate/\(BTCRateVersion.current)")
    let timeout: Double

    func post(_ url: String, _ body: [UInt8]) async throws {
        let response = try await client.send(HTTPRequest(
            url: url, method: .post, headers: ["Content-Type: application/json"], body: body,
            connectTimeout: min(5, timeout), totalTimeout: timeout, maxBodyBytes: 65_536))
        guard (200..<300).contains(response.status) else {
            throw DeliveryError(description: "HTTP \(response.status): \(String(response.text.prefix(200)))")
        }
    }
}

/// The sinks that POST a JSON body: the generic webhook, Slack and Alertmanager
/// differ only in their URL and in which payload they send.
struct JSONSink: AlertSink {
    let name: String
    let url: String
    let poster: JSONPoster
    var batches = true
    let body: @Sendable (AlertPayloads, [Transition], [AlertState]) -> Any

    static func webhook(_ url: String, _ poster: JSONPoster) -> JSONSink {
        JSONSink(name: "webhook", url: url, poster: poster) { $0.webhook($1, firing: $2) }
    }

    static func slack(_ url: String, _ poster: JSONPoster) -> JSONSink {
        JSONSink(name: "slack", url: url, poster: poster) { $0.slack($1, firing: $2) }
    }

    /// Alertmanager's v2 API lives under its base URL.
    static func alertmanager(_ baseURL: String, _ poster: JSONPoster) -> JSONSink {
        // Built at each attempt: a late delivery still carries an endsAt ahead.
        // The firing list is not needed: Alertmanager keeps it, renewed by each refresh.
        JSONSink(name: "alertmanager", url: alertmanagerEndpoint(baseURL), poster: poster, batches: false) { payloads, transitions, _ in
            payloads.alertmanager(transitions, sentAt: Int(Date().timeIntervalSince1970))
        }
    }

    static func alertmanagerEndpoint(_ baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v2/alerts"
    }

    func deliver(_ transitions: [Transition], firing: [AlertState], payloads: AlertPayloads) async throws {
        try await poster.post(url, AlertPayloads.json(body(payloads, transitions, firing)))
    }
}

struct EmailSink: AlertSink {
    let name = "email"
    let batches = true
    let notify: NotifyConfiguration
    let password: String?

    func deliver(_ transitions: [Transition], firing: [AlertState], payloads: AlertPayloads) async throws {
        let (subject, body) = payloads.email(transitions, firing: firing)
        let message = MailMessage(
            url: notify.smtpURL ?? "", from: notify.smtpFrom, recipients: notify.smtpTo,
            content: Self.compose(from: notify.smtpFrom, to: notify.smtpTo, subject: subject, body: body, host: payloads.instance),
            username: notify.smtpUsername, password: password,
            // A login always needs TLS, whatever smtp_starttls says (the loader refuses that
            // combination too): a password never crosses the network in clear text.
            requireTLS: notify.smtpStartTLS || notify.smtpUsername != nil || (notify.smtpURL ?? "").hasPrefix("smtps://"),
            timeout: notify.timeout, caFile: notify.smtpCAFile)
        try await Blocking.run { try CurlMailer().send(message) }
    }

    /// RFC 5322 headers (Date, From, To, Subject, Message-ID, MIME) and a UTF-8 body.
    static func compose(from: String, to: [String], subject: String, body: String, host: String) -> String {
        let id = "<\(UUID().uuidString.lowercased())@\(host.isEmpty ? "btcrate" : host)>"
        return """
            Date: \(HTTPDate.mail(Int(Date().timeIntervalSince1970)))
            From: \(from)
            To: \(to.joined(separator: ", "))
            Subject: \(subject.replacing("\n", with: " "))
            Message-ID: \(id)
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            \(body)
            """
    }
}

extension AlertSink {
    /// Delivers with retries and a doubling delay; returns the last error, if all failed.
    func deliverWithRetries(_ transitions: [Transition], firing: [AlertState] = [], payloads: AlertPayloads, retries: Int,
                            delay: Double) async -> (any Error)? {
        var wait = delay
        var lastError: (any Error)?
        for attempt in 0...retries {
            if attempt > 0 {
                try? await Task.sleep(for: .seconds(wait))
                wait *= 2
            }
            do {
                try await deliver(transitions, firing: firing, payloads: payloads)
                return nil
            } catch {
                lastError = error
            }
        }
        return lastError
    }
}
