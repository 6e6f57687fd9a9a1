import Hummingbird
import HummingbirdCore
import NIOCore

/// The request context of the graph service's routes: Hummingbird's core
/// storage, and the client's connection, through which a render learns that
/// its client has gone.
public struct GraphRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nil when a test calls the router directly: such a client never goes away.
    public let connection: ClientConnection?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ClientConnections.connection(of: source.channel)
    }
}
