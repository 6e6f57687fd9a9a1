import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// HTTP/1.1 connections as Hummingbird's `HTTP1Channel` sets them up, with the
/// graph service's guards added: the connection cap (`ClientConnections`), the
/// head deadline and hang-up detection (`ConnectionWatch`), the request
/// tracking (`RequestTracker`) and Hummingbird's idle timeout.
struct GraphHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let connections: ClientConnections
    let idleTimeout: Duration
    let headTimeout: TimeAmount
    let metrics: GraphMetrics

    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard case .admitted(let connection, let evicted) = connections.admit(channel) else {
                // Every connection is busy with a request: this one gets nothing.
                // (A failed setup is not closed for us.)
                metrics.countConnectionClosed(reason: "over_limit")
                channel.close(promise: nil)
                throw Refused()
            }
            if let evicted {
                metrics.countConnectionClosed(reason: "evicted")
                evicted.channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in connections.remove(connection) }
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ConnectionWatch(connection: connection, headTimeout: headTimeout, metrics: metrics))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: .init())
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(RequestTracker(connection: connection))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel,
                                       configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
