import NIOCore
import NIOHTTPTypes

/// First in each connection's pipeline, ahead of the HTTP decoder, where raw
/// bytes and hang-ups are seen:
/// - a client that closes its side or breaks the connection is marked gone, so
///   the renders it waits for are dropped;
/// - a request's head must be complete `headTimeout` after its first byte (or
///   after the connection opened), or the connection is closed: a client that
///   connects and says nothing, or dribbles its headers (slowloris), holds a
///   descriptor 10 s, not for ever.
final class ConnectionWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: ClientConnection
    private let headTimeout: TimeAmount
    private let metrics: GraphMetrics
    private var timer: Scheduled<Void>?

    init(connection: ClientConnection, headTimeout: TimeAmount, metrics: GraphMetrics) {
        self.connection = connection
        self.headTimeout = headTimeout
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The connection is open already: its first head is awaited from now.
        if let head = connection.awaitedHead { armHeadTimer(context, for: head) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let head = connection.bytesArrived() { armHeadTimer(context, for: head) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { connection.clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.clientLeft()
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset connection: nobody is there to answer.
        connection.clientLeft()
        context.fireErrorCaught(error)
    }

    /// Closes the connection if head number `head` is still awaited when the time is up.
    private func armHeadTimer(_ context: ChannelHandlerContext, for head: UInt64) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: headTimeout) { [self] in
            timer = nil
            guard connection.awaitedHead == head else { return }
            metrics.countConnectionClosed(reason: "header_timeout")
            context.close(promise: nil)
        }
    }
}

/// After the HTTP codec: notes where each request begins (its head is in) and
/// ends (the response's end is written), for the idle state of the connection.
final class RequestTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let connection: ClientConnection

    init(connection: ClientConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { connection.requestStarted() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { connection.responseEnded() }
        context.write(data, promise: promise)
    }
}
