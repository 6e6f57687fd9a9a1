import NIOCore
import Synchronization

/// One client connection as the graph service tracks it: whether its client is
/// still there (a render nobody waits for is dropped), whether a request is in
/// progress (only idle connections make way at `graph.max_connections`), and
/// which request's head is awaited (10 s at most).
public final class ClientConnection: Sendable {
    let channel: any Channel

    private struct State {
        var gone = false
        var inFlight = 0
        var lastActivity: ContinuousClock.Instant
        /// The number of the request whose head is awaited (nil: none is): the
        /// first from the connection's opening, each later one from its first byte.
        var awaitedHead: UInt64? = 0
        var heads: UInt64 = 0
    }

    private let state: Mutex<State>

    init(channel: any Channel, now: ContinuousClock.Instant = .now) {
        self.channel = channel
        state = Mutex(State(lastActivity: now))
    }

    /// The client closed its side or the connection broke.
    public var isGone: Bool { state.withLock { $0.gone } }

    /// No request is being read or answered.
    var isIdle: Bool { state.withLock { $0.inFlight == 0 } }

    var lastActivity: ContinuousClock.Instant { state.withLock { $0.lastActivity } }

    func clientLeft() { state.withLock { $0.gone = true } }

    /// Bytes arrived. When they begin a new request, the number of the head
    /// now awaited (its deadline starts now); otherwise nil.
    func bytesArrived(now: ContinuousClock.Instant = .now) -> UInt64? {
        state.withLock { state in
            state.lastActivity = now
            guard state.inFlight == 0, state.awaitedHead == nil else { return nil }
            state.heads += 1
            state.awaitedHead = state.heads
            return state.heads
        }
    }

    /// The number of the head awaited now (nil: none).
    var awaitedHead: UInt64? { state.withLock { $0.awaitedHead } }

    /// A request's head is complete.
    func requestStarted(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.inFlight += 1
            state.awaitedHead = nil
            state.lastActivity = now
        }
    }

    /// A response has been written to its end.
    func responseEnded(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.inFlight = max(0, state.inFlight - 1)
            state.lastActivity = now
        }
    }
}

/// The clients waiting for one render: the one that asked, and those whose
/// identical request joined it in the cache. The render is dropped only when
/// all of them have gone; a request with no connection (the router tests) is
/// never gone.
public final class RenderAudience: Sendable {
    private let members: Mutex<(connections: [ClientConnection], unknown: Bool)>

    public init(_ first: ClientConnection?) {
        members = Mutex(first.map { ([$0], false) } ?? ([], true))
    }

    public func join(_ connection: ClientConnection?) {
        members.withLock { members in
            if let connection { members.connections.append(connection) } else { members.unknown = true }
        }
    }

    public var isGone: Bool {
        members.withLock { !$0.unknown && $0.connections.allSatisfy(\.isGone) }
    }
}
