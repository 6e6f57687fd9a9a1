import NIOCore
import Synchronization

/// The open connections of one graph server, capped at `limit`.
///
/// At the cap a new connection does not wait in the kernel's backlog behind
/// silent ones (a health check would time out): the connection idle the
/// longest, one with no request in progress, is closed to make way, as nginx
/// reuses its idle keep-alive connections. Only when every connection is busy
/// with a request is the new one closed instead.
final class ClientConnections: Sendable {
    let limit: Int
    private let open = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    /// Every server's connections by channel, so a request's context can find its
    /// own (`GraphRequestContext`): Hummingbird hands it the channel only.
    private static let byChannel = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    enum Admission {
        case admitted(ClientConnection, evicted: ClientConnection?)
        case refused
    }

    func admit(_ channel: any Channel) -> Admission {
        let connection = ClientConnection(channel: channel)
        let id = ObjectIdentifier(channel)
        let outcome = open.withLock { open -> Admission in
            var evicted: ClientConnection?
            if open.count >= limit {
                guard let victim = open.values.filter(\.isIdle).min(by: { $0.lastActivity < $1.lastActivity }) else {
                    return .refused
                }
                open[ObjectIdentifier(victim.channel)] = nil
                evicted = victim
            }
            open[id] = connection
            return .admitted(connection, evicted: evicted)
        }
        if case .admitted = outcome { Self.byChannel.withLock { $0[id] = connection } }
        return outcome
    }

    func remove(_ connection: ClientConnection) {
        let id = ObjectIdentifier(connection.channel)
        open.withLock { open in
            if open[id] === connection { open[id] = nil }
        }
        Self.byChannel.withLock { all in
            if all[id] === connection { all[id] = nil }
        }
    }

    var count: Int { open.withLock { $0.count } }

    static func connection(of channel: any Channel) -> ClientConnection? {
        byChannel.withLock { $0[ObjectIdentifier(channel)] }
    }
}
