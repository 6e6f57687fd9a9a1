import Foundation
import LibRRD
import Testing

/// Writes through a real rrdcached on a unix socket in a temporary directory.
@Suite(.serialized) struct RRDCachedTests {
    static let daemonPath = ["/usr/bin/rrdcached", "/usr/sbin/rrdcached"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: daemonPath != nil, "rrdcached is installed by scripts/install-deps"))
    func updatesAreHeldUntilFlushedThenVisible() throws {
        let directory = TemporaryDirectory()
        let socket = directory.file("rrdcached.sock")
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Self.daemonPath!)
        // -g: foreground; -w 3600: hold writes for an hour unless flushed; -B -b: confine to the directory.
        daemon.arguments = ["-g", "-l", "unix:\(socket)", "-w", "3600", "-f", "7200", "-B", "-b", directory.path,
                            "-p", directory.file("rrdcached.pid"), "-j", directory.path]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }

        let start = 1_705_320_000
        let file = RRDFile(path: directory.file("c.rrd"))
        try file.create(step: 600, start: start - 600, definitions: ["DS:rate:GAUGE:600:0:U", "RRA:AVERAGE:0.5:1:10"])
        let client = RRDCachedClient(address: "unix:\(socket)")
        try client.forget(file: file)
        try client.update(file: file, rows: ["\(start):400", "\(start + 600):401"])
        // The daemon holds the rows: the file itself has not changed yet.
        #expect(try file.last() == start - 600)
        try client.flush(file: file)
        #expect(try file.last() == start + 600)
        #expect(try file.lastUpdate().values["rate"] == 401)
    }
}
