/// Where one pair's RRD file lives, and how to reach it.
///
/// - No daemon: the file in the state directory, read and written directly.
/// - An rrdcached on a unix socket (same host): the same file, written through
///   the daemon, read from disk after a flush.
/// - An rrdcached over TCP (a storage host): the daemon's file, named relative
///   to its base directory (`-b`), reached only through the daemon. Nothing is
///   read or written locally; the daemon refuses absolute names over TCP.
public struct RRDLocation: Sendable, Equatable, CustomStringConvertible {
    /// The daemon's address (`unix:/path`, `/path`, `host:port`, `[v6]:port`); nil: direct.
    public let address: String?
    /// Absolute for a local file; relative to the daemon's base directory over TCP.
    public let path: String

    public init(address: String?, path: String) {
        self.address = address
        self.path = path
    }

    /// Over TCP: the file is the daemon's, on another host.
    public var isRemote: Bool { address.map(Self.isTCP) ?? false }

    /// `host:port` and `[v6]:port` are TCP; `unix:/path` and `/path` are unix sockets.
    public static func isTCP(_ address: String) -> Bool {
        !address.hasPrefix("unix:") && !address.hasPrefix("/")
    }

    /// Why `address` is not one rrdcached's `-l` would accept, or nil.
    public static func problem(with address: String) -> String? {
        if address.hasPrefix("unix:") || address.hasPrefix("/") {
            let path = address.hasPrefix("unix:") ? String(address.dropFirst(5)) : address
            return path.hasPrefix("/") ? nil : "a unix socket needs an absolute path (unix:/run/rrdcached.sock)"
        }
        let host: Substring, port: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]"), address[address.index(after: close)...].hasPrefix(":") else {
                return "an IPv6 address is written [address]:port"
            }
            host = address[address.index(after: address.startIndex)..<close]
            port = address[address.index(close, offsetBy: 2)...]
        } else {
            let parts = address.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return "must be unix:/path, /path, host:port or [IPv6]:port" }
            (host, port) = (parts[0], parts[1])
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            return "the host must be a name or an address"
        }
        guard let number = Int(port), (1...65_535).contains(number) else { return "the port must be 1 to 65535" }
        return nil
    }

    public var description: String {
        guard let address else { return "\(path) (direct)" }
        return isRemote ? "\(path) on rrdcached at \(address) (TCP: relative to the daemon's base directory)"
            : "\(path) through rrdcached at \(address)"
    }
}
