import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback fake of Alpha Vantage, Coinbase Exchange, Kraken and Bitstamp for
/// tests, benchmarks and offline demos. It serves the documented good answers,
/// every documented error body, and broken transports (slow, truncated,
/// oversized, closed mid-body). Plain POSIX sockets, one thread per connection,
/// so that it can misbehave at the byte level in ways a real server library won't.
public final class FakePriceServer: @unchecked Sendable {
    public let port: UInt16
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let lock = NSLock()
    private var behaviours: [FakeSource: FakeBehaviour] = [:]
    private var requestLog: [(FakeSource?, String)] = []
    private var historyHoles: [ClosedRange<Int>] = []
    private var clock: @Sendable () -> Date
    private var priceModel: @Sendable (Int) -> Double = FakePriceServer.defaultPrice
    private var stopped = false
    private var dateHeaders = true

    /// A deterministic price path: 40,000 +/- 2,000 over a day.
    public static let defaultPrice: @Sendable (Int) -> Double = { time in
        ((40_000 + 2_000 * sin(Double(time) * 2 * Double.pi / 86_400)) * 100).rounded() / 100
    }

    /// Starts listening on 127.0.0.1 (port 0 picks a free one).
    public init(port requested: UInt16 = 0, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.clock = clock
        // A client that hangs up mid-answer must not kill the process hosting the fake.
        signal(SIGPIPE, SIG_IGN)
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw FakeServerError.socket("socket", errno) }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = requested.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 512) == 0 else {
            let code = errno
            close(socketFD)
            throw FakeServerError.socket("bind/listen", code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        listener = socketFD
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting. Only the accept thread closes the listening socket, after
    /// its last accept: closing it here could let the thread call accept() on a
    /// descriptor number that the kernel has meanwhile given to another socket.
    public func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    // MARK: control

    public func set(_ source: FakeSource, _ behaviour: FakeBehaviour) {
        lock.withLock { behaviours[source] = behaviour }
    }

    public func behaviour(of source: FakeSource) -> FakeBehaviour {
        lock.withLock { behaviours[source] ?? .normal }
    }

    /// Make every source answer normally again.
    public func reset() {
        lock.withLock { behaviours = [:] }
    }

    /// Whether answers carry a `Date` header (they do unless told otherwise, as real servers do).
    public func setDateHeaders(_ enabled: Bool) {
        lock.withLock { dateHeaders = enabled }
    }

    public func setClock(_ clock: @escaping @Sendable () -> Date) {
        lock.withLock { self.clock = clock }
    }

    public func setPrice(_ model: @escaping @Sendable (Int) -> Double) {
        lock.withLock { priceModel = model }
    }

    /// Candles whose start lies in one of these ranges are missing from history.
    public func setHistoryHoles(_ holes: [ClosedRange<Int>]) {
        lock.withLock { historyHoles = holes }
    }

    /// Request targets received so far (path and query), optionally for one source.
    public func requests(for source: FakeSource? = nil) -> [String] {
        lock.withLock { requestLog.filter { source == nil || $0.0 == source }.map(\.1) }
    }

    func now() -> Date { lock.withLock { clock() } }
    func price(at time: Int) -> Double { lock.withLock { priceModel }(time) }
    func isHole(_ time: Int) -> Bool { lock.withLock { historyHoles.contains { $0.contains(time) } } }

    // MARK: serving

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            // Poll with a timeout so that a stop is noticed even if shutdown() did not wake us.
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0, !isStopped else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                return
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [self] in handle(client) }
            thread.stackSize = 512 << 10
            thread.start()
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        guard let request = FakeHTTPRequest.read(from: client) else { return }
        let source = FakeRoutes.source(for: request.path)
        lock.withLock { requestLog.append((source, request.target)) }
        let date = lock.withLock { dateHeaders } ? now() : nil
        if request.path == "/_fake/behaviour" {
            return FakeRoutes.control(request, server: self).send(to: client, date: date)
        }
        guard let source else {
            return FakeResponse(status: 404, body: "{\"error\":\"no such fake route\"}").send(to: client, date: date)
        }
        let behaviour = behaviour(of: source)
        if case .slow(let seconds) = behaviour {
            Thread.sleep(forTimeInterval: seconds)
        }
        behaviour.respond(to: client, date: date, normal: { FakeRoutes.normalAnswer(source, request, server: self) })
    }
}

public enum FakeServerError: Error, CustomStringConvertible {
    case socket(String, Int32)
    public var description: String {
        switch self { case .socket(let call, let code): "\(call): \(String(cString: strerror(code)))" }
    }
}
