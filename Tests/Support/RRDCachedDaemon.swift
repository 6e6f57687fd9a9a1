import Foundation

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

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}
