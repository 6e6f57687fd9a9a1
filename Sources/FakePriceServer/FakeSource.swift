import Foundation

/// The fake's endpoints, one per thing a test may want to break separately.
public enum FakeSource: String, Sendable, CaseIterable {
    case alphavantage
    case coinbase
    case kraken
    case bitstamp
    /// Bitstamp's `ohlc` history, separate from its ticker.
    case bitstampHistory = "bitstamp_history"
}

/// How the fake answers a source's requests.
public enum FakeBehaviour: Sendable, Equatable {
    /// A good, current answer from the price model.
    case normal
    /// This exact body, with this status.
    case body(String, status: Int = 200)
    /// Waits, then answers normally.
    case slow(seconds: Double)
    /// Announces a Content-Length, sends half the body, closes.
    case truncated
    /// Announces and sends a body of this many bytes.
    case oversized(bytes: Int)
    /// Sends this many bytes chunked, with no length announced.
    case chunkedOversized(bytes: Int)
    /// Starts a chunked body, then closes without the final chunk.
    case closeMidBody
    /// Accepts the connection and closes it without a word.
    case closeImmediately

    func respond(to client: Int32, date: Date?, normal: () -> FakeResponse) {
        switch self {
        case .normal, .slow:
            normal().send(to: client, date: date)
        case .body(let text, let status):
            FakeResponse(status: status, body: text).send(to: client, date: date)
        case .truncated:
            let body = normal().body
            let head = "HTTP/1.1 200 OK\r\n\(FakeHTTPDate.header(date))Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            FakeSocket.write(client, head + String(body.prefix(body.count / 2)))
        case .oversized(let bytes):
            let filler = "{\"padding\":\"" + String(repeating: "x", count: max(0, bytes - 14)) + "\"}"
            FakeResponse(status: 200, body: filler).send(to: client, date: date)
        case .chunkedOversized(let bytes):
            FakeSocket.write(client, "HTTP/1.1 200 OK\r\n\(FakeHTTPDate.header(date))Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            let chunk = String(repeating: "y", count: 4096)
            var sent = 0
            while sent < bytes {
                guard FakeSocket.write(client, String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n") else { return }
                sent += chunk.utf8.count
            }
            FakeSocket.write(client, "0\r\n\r\n")
        case .closeMidBody:
            FakeSocket.write(client, "HTTP/1.1 200 OK\r\n\(FakeHTTPDate.header(date))Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            FakeSocket.write(client, "10\r\n{\"Realtime Curre\r\n")
        case .closeImmediately:
            return
        }
    }
}
