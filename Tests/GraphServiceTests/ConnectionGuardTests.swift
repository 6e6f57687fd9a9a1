@testable import BTCRateGraph
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

/// The guards on each connection, on NIO's embedded channel and its manual
/// clock: the head deadline, hang-up detection and the connection cap.
@Suite struct ConnectionGuardTests {
    /// A channel with the service's pipeline up to the request tracker.
    func guarded(_ metrics: GraphMetrics = GraphMetrics()) throws -> (EmbeddedChannel, ClientConnection) {
        let channel = EmbeddedChannel()
        let connection = ClientConnection(channel: channel)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ConnectionWatch(connection: connection, headTimeout: .seconds(10), metrics: metrics))
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(RequestTracker(connection: connection))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, connection)
    }

    @Test func aSilentConnectionIsClosedTenSecondsAfterItOpened() throws {
        let metrics = GraphMetrics()
        let (channel, _) = try guarded(metrics)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(String(decoding: metrics.exposition(.init(pairs: [], pool: Self.idlePool, connections: 0)), as: UTF8.self)
            .contains(#"btcrate_http_connections_closed_total{reason="header_timeout"} 1"#))
    }

    @Test func aHeadDribbledOverTenSecondsIsCutOff() throws {
        let (channel, _) = try guarded()
        for part in ["GET /healthz HTTP/1.1\r\n", "Host: 127.0.0.1\r\n", "X-Slow: 1\r\n"] {
            try channel.writeInbound(ByteBuffer(string: part))
            channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        }
        #expect(!channel.isActive, "the head was not complete 10 s after its first byte")
    }

    @Test func aCompleteHeadStopsTheClockAndTheNextRequestGetsItsOwn() throws {
        let (channel, connection) = try guarded()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        #expect(!connection.isIdle)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive, "a request being answered is never cut off by the head deadline")
        try channel.writeOutbound(HTTPResponsePart.head(.init(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(connection.isIdle)
        // Idle between requests is graph.idle_timeout's business; a new request's
        // first byte starts a new 10 s.
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "GET /"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(!channel.isActive)
    }

    @Test func aClientThatHangsUpIsGone() throws {
        let (channel, connection) = try guarded()
        try channel.writeInbound(ByteBuffer(string: "GET /graph.png HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        #expect(!connection.isGone)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(connection.isGone)
        #expect(RenderAudience(connection).isGone)
        // One client of two still waits: the render is still wanted.
        let audience = RenderAudience(connection)
        audience.join(ClientConnection(channel: EmbeddedChannel()))
        #expect(!audience.isGone)
        // A request without a connection (the router tests) is never gone.
        #expect(!RenderAudience(nil).isGone)
    }

    /// At the cap the longest-idle connection makes way; busy ones never do.
    @Test func atTheCapTheLongestIdleConnectionMakesWay() throws {
        let connections = ClientConnections(limit: 3)
        var admitted: [ClientConnection] = []
        for _ in 0..<3 {
            guard case .admitted(let connection, nil) = connections.admit(EmbeddedChannel()) else {
                Issue.record("refused under the cap")
                return
            }
            admitted.append(connection)
        }
        admitted[0].requestStarted()   // busy: never evicted
        guard case .admitted(let fourth, let evicted?) = connections.admit(EmbeddedChannel()) else {
            Issue.record("no connection made way")
            return
        }
        #expect(evicted === admitted[1], "the longest idle one goes first")
        #expect(connections.count == 3)
        admitted[2].requestStarted()
        fourth.requestStarted()
        // Every connection has a request in progress: the new one is refused instead.
        if case .admitted = connections.admit(EmbeddedChannel()) { Issue.record("a busy connection made way") }
        connections.remove(admitted[0])
        #expect(connections.count == 2)
    }

    @Test func theCapStaysUnderTheOpenFileLimit() {
        #expect(OpenFileLimit.connectionCap(configured: 1000, files: 1024, workers: 2) == 956)
        #expect(OpenFileLimit.connectionCap(configured: 1000, files: 65_536, workers: 16) == 1000)
        #expect(OpenFileLimit.connectionCap(configured: 1000, files: 50, workers: 2) == 16)
    }

    static let idlePool = RenderPool.Status(workers: 1, live: 1, busy: 0, queueDepth: 0, maxQueue: 64, oldestWait: 0, starved: nil)
}
