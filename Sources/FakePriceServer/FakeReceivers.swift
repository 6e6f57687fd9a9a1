import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP listener that hands each connection to a handler on its own
/// thread; the base of the fake webhook and SMTP receivers.
public class FakeTCPServer: @unchecked Sendable {
    public let port: UInt16
    let listener: Int32
    let lock = NSLock()
    private var stopped = false

    init() throws {
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            close(fd)
            throw FakeServerError.socket("bind/listen", errno)
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public func stop() {
        lock.withLock {
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !lock.withLock({ stopped }) {
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            Thread { [self] in
                handle(FakeConnection(fd: client))
                close(client)
            }.start()
        }
    }

    func handle(_ connection: FakeConnection) {}
}

/// Buffered line and byte reads on one socket.
final class FakeConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 8192)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// A line without its CRLF, or nil at the end of the stream.
    func line() -> String? {
        while true {
            if let index = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<index])
                buffer.removeFirst(index + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count { guard fill() else { return nil } }
        let result = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return result
    }

    func write(_ text: String) { FakeSocket.write(fd, text) }
}

/// Receives webhook POSTs and keeps their bodies. It can be told to fail the
/// next N requests (status 500) or to answer slowly, to test retries and isolation.
public final class FakeWebhookReceiver: FakeTCPServer, @unchecked Sendable {
    public struct Received: Sendable {
        public let path: String
        public let contentType: String?
        public let body: [UInt8]
        public let at: Date

        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    }

    private var received: [Received] = []
    private var failuresLeft = 0
    private var delay = 0.0

    public override init() throws { try super.init() }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var requests: [Received] { lock.withLock { received } }

    public func failNext(_ count: Int) { lock.withLock { failuresLeft = count } }
    public func respondAfter(seconds: Double) { lock.withLock { delay = seconds } }

    /// Waits until `count` requests have arrived (or the timeout passes).
    public func waitFor(_ count: Int, timeout: Double = 10) -> [Received] {
        let deadline = Date().addingTimeInterval(timeout)
        while requests.count < count && Date() < deadline { usleep(10_000) }
        return requests
    }

    override func handle(_ connection: FakeConnection) {
        guard let requestLine = connection.line() else { return }
        var headers: [String: String] = [:]
        while let line = connection.line(), !line.isEmpty {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let body = connection.bytes(length) ?? []
        let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let (fail, wait) = lock.withLock { () -> (Bool, Double) in
            let fail = failuresLeft > 0
            if fail { failuresLeft -= 1 } else {
                received.append(Received(path: path, contentType: headers["content-type"], body: body, at: Date()))
            }
            return (fail, delay)
        }
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        let status = fail ? "500 Internal Server Error" : "200 OK"
        connection.write("HTTP/1.1 \(status)\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    }
}

/// A plain SMTP server (no TLS) that accepts every mail and keeps it.
public final class FakeSMTPServer: FakeTCPServer, @unchecked Sendable {
    public struct Mail: Sendable {
        public let from: String
        public let recipients: [String]
        public let data: String
        public let authenticated: Bool
    }

    private var mails: [Mail] = []
    /// Offers STARTTLS in its EHLO answer without being able to do it, to check
    /// that a client that requires TLS refuses to go on in clear text.
    public var offerSTARTTLS = false

    public override init() throws { try super.init() }

    public var url: String { "smtp://127.0.0.1:\(port)" }
    public var received: [Mail] { lock.withLock { mails } }

    public func waitFor(_ count: Int, timeout: Double = 10) -> [Mail] {
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < count && Date() < deadline { usleep(10_000) }
        return received
    }

    override func handle(_ connection: FakeConnection) {
        connection.write("220 fake-smtp ESMTP\r\n")
        var from = "", recipients: [String] = [], authenticated = false
        while let line = connection.line() {
            let upper = line.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                connection.write("250-fake-smtp\r\n" + (offerSTARTTLS ? "250-STARTTLS\r\n" : "") + "250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
            } else if upper.hasPrefix("STARTTLS") {
                connection.write("454 TLS not available\r\n")
            } else if upper.hasPrefix("AUTH") {
                // Without an initial response (libcurl's default), ask for the credentials.
                let parts = line.split(separator: " ")
                if parts.count < 3 {
                    connection.write("334 \r\n")
                    guard connection.line() != nil else { return }
                    if parts.count == 2, parts[1].uppercased() == "LOGIN" {
                        connection.write("334 UGFzc3dvcmQ6\r\n")
                        guard connection.line() != nil else { return }
                    }
                }
                authenticated = true
                connection.write("235 ok\r\n")
            } else if upper.hasPrefix("MAIL FROM:") {
                from = String(line.dropFirst(10)).trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
                connection.write("250 ok\r\n")
            } else if upper.hasPrefix("RCPT TO:") {
                recipients.append(String(line.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: "<> ")))
                connection.write("250 ok\r\n")
            } else if upper == "DATA" {
                connection.write("354 go on\r\n")
                var lines: [String] = []
                while let dataLine = connection.line(), dataLine != "." {
                    lines.append(dataLine.hasPrefix("..") ? String(dataLine.dropFirst()) : dataLine)
                }
                let mail = Mail(from: from, recipients: recipients, data: lines.joined(separator: "\n"), authenticated: authenticated)
                lock.withLock { mails.append(mail) }
                connection.write("250 queued\r\n")
            } else if upper == "QUIT" {
                connection.write("221 bye\r\n")
                return
            } else {
                connection.write("250 ok\r\n")
            }
        }
    }
}
