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

    public init(directory: String) throws {
        socket = directory + "/rrdcached.sock"
        process.executableURL = URL(fileURLWithPath: Self.executable ?? "/usr/bin/rrdcached")
        // -g: foreground; -w/-f: hold writes; -B -b: only files under the directory; -j: its journal there.
        process.arguments = ["-g", "-l", address, "-w", "3600", "-f", "7200", "-B", "-b", directory,
                             "-p", directory + "/rrdcached.pid", "-j", directory]
        // Not the test runner's stdout: a test process that crashes would leave the
        // daemon holding the pipe, and `swift test` waiting for it for ever.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
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
        process.terminate()
        process.waitUntilExit()
    }
}
