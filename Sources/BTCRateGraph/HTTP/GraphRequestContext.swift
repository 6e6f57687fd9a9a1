import Hummingbird
import HummingbirdCore
import NIOCore

/// The request context of the graph service's routes: Hummingbird's core
/// storage, and the client's connection, through which a render learns that
/// its client has gone.
public struct GraphRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    private let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's connection, looked up only when a render needs it (not for
    /// cached answers, whose throughput a shared lookup would cost). Nil when a
    /// test calls the router directly: such a client never goes away.
    public var connection: ClientConnection? { ClientConnections.connection(of: channel) }
}
