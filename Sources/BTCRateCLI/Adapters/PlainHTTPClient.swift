import BTCRateCore
import LibCurl
import NIOCore
import NIOHTTP1
import NIOPosix

/// GET over plain HTTP/1.1 on SwiftNIO, for the watchdog's probe of the graph
/// service's `/healthz` (`http://127.0.0.1:8080/healthz` by default).
///
/// Why not libcurl, as everywhere else: opening libcurl maps its TLS, Kerberos
/// and LDAP libraries, 7.4 MiB of Rss that a watchdog then keeps for its life
/// (bench/lean.sh, issue 14). With this client a watchdog maps them only when it
/// has something to send over HTTP(S): a notification, the heartbeat, or an
/// `https://` graph_url, which still goes through `CurlHTTPClient`. SwiftNIO is
/// already in the binary (the graph service, the pool for blocking calls).
///
/// The same contract as `CurlHTTPClient` for what it does: a connect deadline, a
/// deadline for the whole answer, a cap on the body, HTTP error statuses as
/// answers, and every other failure as an `HTTPClientError`.
struct PlainHTTPClient: Sendable {
    let userAgent: String

    /// Where an `http://` URL points.
    struct Target: Equatable {
        var host: String
        var port: Int
        /// The path and query, as sent in the request line.
        var path: String
        /// `host[:port]` as the URL spells it, for the Host header.
        var authority: String
    }

    /// The target of a plain `http://` URL; nil for anything else (https, user
    /// information, no host, a port out of range), which `CurlHTTPClient` handles.
    static func target(_ url: String) -> Target? {
        guard url.prefix(7).lowercased() == "http://" else { return nil }
        var rest = url.dropFirst(7)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<pathStart]
        let path = rest[pathStart...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }

        var host = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            port = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty, let number = port.map({ Int($0) }) ?? 80, (1...65_535).contains(number) else { return nil }
        return Target(host: String(host), port: number, path: path.hasPrefix("/") ? String(path) : "/" + path,
                      authority: String(authority))
    }

    /// Sends `request` (a GET to a plain `http://` URL) and collects the answer.
    func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        guard request.method == .get, let target = Self.target(request.url) else {
            throw .transferFailed("PlainHTTPClient sends GET to http:// URLs only, not \(request.method.rawValue) \(request.url)")
        }
        let started = ContinuousClock.now
        // NIO's shared event loops, started by the first request, not when the client
        // is made: a watchdog with graph_url = off starts none.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let answer = loop.makePromise(of: HTTPResponse.self)
        let limit = request.maxBodyBytes
        let connectTimeout = min(request.connectTimeout, request.totalTimeout)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(Int64(connectTimeout * 1000)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(AnswerCollector(answer: answer, limit: limit, started: started))
                    }
                }
                .connect(host: target.host, port: target.port).get()
        } catch {
            answer.fail(error)
            throw Self.connectFailure(error, target: target, seconds: connectTimeout)
        }
        // The whole answer's deadline, counted from the start (connecting included)
        // as libcurl counts it; it ends the wait through the collector.
        let total = request.totalTimeout
        let left = max(0, total - (ContinuousClock.now - started).seconds)
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(left * 1000))) {
            channel.pipeline.fireErrorCaught(HTTPClientError.timeout("no complete answer from \(target.authority) within \(total) s"))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.authority)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Accept", value: "*/*")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await answer.futureResult.get()
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw .transferFailed("\(error)")
        }
    }

    /// A failed connect in the words `CurlHTTPClient` uses: a timeout, or why there is no connection.
    static func connectFailure(_ error: any Error, target: Target, seconds: Double) -> HTTPClientError {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .timeout("no connection to \(target.authority) within \(seconds) s")
        }
        if let failure = error as? NIOConnectionError {
            if let first = failure.connectionErrors.first {
                return .connectionFailed("\(target.authority): \(first.error)")
            }
            if let lookup = failure.dnsAError ?? failure.dnsAAAAError {
                return .connectionFailed("cannot resolve \(target.host): \(lookup)")
            }
        }
        return .connectionFailed("\(target.authority): \(error)")
    }
}

/// Gathers one answer on the channel's event loop and completes the promise once:
/// with the answer at its end, or with the first failure (a body over the cap, a
/// malformed answer, the connection closing early, the deadline).
private final class AnswerCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<HTTPResponse>
    private let limit: Int
    private let started: ContinuousClock.Instant
    private var status = 0
    private var body: [UInt8] = []
    private var done = false

    init(answer: EventLoopPromise<HTTPResponse>, limit: Int, started: ContinuousClock.Instant) {
        self.answer = answer
        self.limit = limit
        self.started = started
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            // Refused at once when the server announces too much, as libcurl does.
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > limit {
                finish(context, .failure(.bodyTooLarge(limit: limit)))
            }
        case .body(let part):
            guard body.count + part.readableBytes <= limit else {
                finish(context, .failure(.bodyTooLarge(limit: limit)))
                return
            }
            body.append(contentsOf: part.readableBytesView)
        case .end:
            finish(context, .success(HTTPResponse(status: status, body: body, duration: (ContinuousClock.now - started).seconds)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context, .failure(error as? HTTPClientError ?? .transferFailed("malformed answer: \(error)")))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(.transferFailed("the server closed the connection before the answer was complete")))
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<HTTPResponse, HTTPClientError>) {
        guard !done else { return }
        done = true
        answer.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
