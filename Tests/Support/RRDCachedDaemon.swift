import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real rrdcached on a unix socket in a directory of the test's, stopped on deinit.
/// It holds writes for an hour unless flushed, so tests can see the difference.
public final class RRDCachedDaemon {
    public static let executable = ["/usr/bin/rrdcached", "/usr/sbin/rrdcached"].first { FileManager.default.isExecutableFile(atPath: $0) }
    public let socket: String
    private let process = Process()

    public var address: String { "unix:\(socket)" }

    /// `127.0.0.1:PORT` when it also listens on TCP (`tcpPort`).
    public let tcpAddress: String?

    /// With `tcpPort`, it also listens on 127.0.0.1:PORT, where (as on any TCP
    /// socket) files are named relative to `directory`.
    public init(directory: String, tcpPort: Int? = nil) throws {
        socket = directory + "/rrdcached.sock"
        tcpAddress = tcpPort.map { "127.0.0.1:\($0)" }
        process.executableURL = URL(fileURLWithPath: Self.executable ?? "/usr/bin/rrdcached")
        // -g: foreground; -w/-f: hold writes; -B -b: only files under the directory; -j: its journal there.
        process.arguments = ["-g", "-l", "unix:\(socket)"] + (tcpAddress.map { ["-l", $0] } ?? [])
            + ["-w", "3600", "-f", "7200", "-B", "-b", directory, "-p", directory + "/rrdcached.pid", "-j", directory]
        // Not the test runner's stdout: a test process that crashes would leave the
        // daemon holding the pipe, and `swift test` waiting for it for ever.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var tries = 0
        while !FileManager.default.fileExists(atPath: socket) && tries < 200 {
            usleep(10_000)
            tries += 1
        }
        // The sockets are opened one after the other: the TCP one may come later.
        while let tcpPort, !Self.accepts(port: tcpPort) && tries < 200 {
            usleep(10_000)
            tries += 1
        }
    }

    private static func accepts(port: Int) -> Bool {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// A TCP port on 127.0.0.1 that nothing listens on at the moment.
    public static func freePort() -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1 }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Ends the daemon now (SIGTERM: it writes what it holds and its journal), as `deinit` would.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// The daemon's `STATS` counters (`FlushesReceived`, `UpdatesReceived`, ...);
    /// static, so a test can ask from a closure that must not capture the daemon.
    public static func statistics(socket path: String) -> [String: Int] {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard withUnixSocketAddress(path, { connect(fd, $0, $1) }) == 0 else { return [:] }
        _ = "STATS\n".withCString { send(fd, $0, 6, 0) }
        // "N Statistics follow", then N lines of "Name: value".
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if let first = lines.first, let count = Int(first.split(separator: " ").first ?? ""), lines.count > count + 1 { break }
            let received = recv(fd, &buffer, buffer.count, 0)
            guard received > 0 else { break }
            text += String(decoding: buffer[..<received], as: UTF8.self)
        }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespaces)) { values[String(parts[0])] = value }
        }
        return values
    }

    deinit {
        stop()
    }
}
