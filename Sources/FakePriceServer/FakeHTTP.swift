import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The request line and query of one HTTP request; the fake needs no more.
struct FakeHTTPRequest {
    let method: String
    let target: String
    var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }

    var query: [String: String] {
        guard let index = target.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for part in target[target.index(after: index)...].split(separator: "&") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            let value = pieces.count > 1 ? (pieces[1].removingPercentEncoding ?? pieces[1]) : ""
            result[pieces[0]] = value
        }
        return result
    }

    static func read(from client: Int32) -> FakeHTTPRequest? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.count < 65_536 {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            if data.count >= 4, data.suffix(4) == [13, 10, 13, 10] || String(decoding: data, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\r\n", maxSplits: 1).first else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        return FakeHTTPRequest(method: String(parts[0]), target: String(parts[1]))
    }
}

/// A complete response with a Content-Length.
struct FakeResponse {
    let status: Int
    let body: String

    /// `date`: the fake's clock for the `Date` header (nil sends none).
    func send(to client: Int32, date: Date?) {
        let reason = status == 200 ? "OK" : "Status"
        FakeSocket.write(client, "HTTP/1.1 \(status) \(reason)\r\n\(FakeHTTPDate.header(date))Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
    }
}

/// The `Date` header every real origin server sends (RFC 9110's IMF-fixdate),
/// from the fake's own clock, so that a collector under a wrong clock (faketime)
/// sees the same disagreement it would see with the real APIs.
enum FakeHTTPDate {
    static func header(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return "Date: \(formatter.string(from: date))\r\n"
    }
}

enum FakeSocket {
    @discardableResult
    static func write(_ client: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }
}
