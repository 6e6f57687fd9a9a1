import Foundation
import LibRRD
import Testing
import BTCRateTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The client over TCP against a real rrdcached on 127.0.0.1, with files named
/// relative to the daemon's directory, as storage hosts will serve them. The
/// test process's own directory never holds an RRD file: anything read or
/// written must have crossed the socket.
@Suite(.serialized) struct RRDCachedTCPTests {
    static let enabled = RRDCachedDaemon.executable != nil
    static let definitions = ["DS:rate:GAUGE:1200:0:U", "RRA:AVERAGE:0.5:1:100", "RRA:AVERAGE:0.5:6:100"]
    let start = 1_705_320_000

    func daemon(_ directory: TemporaryDirectory, port: Int = RRDCachedDaemon.freePort()) throws -> (RRDCachedDaemon, RRDCachedClient) {
        let daemon = try RRDCachedDaemon(directory: directory.path, tcpPort: port)
        let client = RRDCachedClient(address: try #require(daemon.tcpAddress), timeout: 5)
        // The daemon listens once its unix socket exists; the TCP one is bound first.
        #expect(client.isTCP)
        return (daemon, client)
    }

    @Test(.enabled(if: enabled)) func aFileIsCreatedWrittenAndReadOverTheWire() throws {
        let directory = TemporaryDirectory()
        let (daemon, client) = try daemon(directory)
        defer { withExtendedLifetime(daemon) {} }
        let file = RRDFile(path: "BTC-USD.rrd")
        try client.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        #expect(FileManager.default.fileExists(atPath: directory.file("BTC-USD.rrd")))
        try client.update(file: file, rows: (0..<12).map { "\(start + $0 * 600):\(40_000 + $0)" })
        #expect(try client.last(file: file) == start + 11 * 600)
        // FETCH flushes first, and answers from the finest archive.
        let series = try client.fetch(file: file, consolidation: "AVERAGE", start: start - 600, end: start + 11 * 600)
        #expect(series.step == 600)
        let values = series.column("rate").filter { !$0.value.isNaN }
        #expect(values.count == 12)
        #expect(values.first.map { ($0.time, $0.value) } ?? (0, 0) == (start, 40_000))
        #expect(values.last?.value == 40_011)
        #expect(try client.first(file: file) <= start - 600)
        #expect(!FileManager.default.fileExists(atPath: "BTC-USD.rrd"), "nothing was written where the test runs")
    }

    /// Two storage hosts: one frozen (SIGSTOP) costs its own calls their deadline
    /// and nothing else; the other daemon's calls go on at once, on their own
    /// connection. (librrd's simple rrdc_* calls share one connection and one
    /// mutex per process: with them the second daemon's calls waited too.)
    @Test(.enabled(if: enabled)) func aFrozenDaemonHoldsOnlyItsOwnCalls() throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        let (frozen, frozenClient) = try daemon(first)
        let (other, otherClient) = try daemon(second)
        defer { withExtendedLifetime((frozen, other)) {} }
        let file = RRDFile(path: "BTC-USD.rrd")
        for client in [frozenClient, otherClient] {
            try client.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
            try client.update(file: file, rows: ["\(start):40000"])
        }
        let slow = RRDCachedClient(address: frozenClient.address, timeout: 1)
        kill(frozen.pid, SIGSTOP)
        defer { kill(frozen.pid, SIGCONT) }
        // kill(2) only queues the signal: wait until the daemon is really stopped (state T).
        for _ in 0..<200 where !Self.isStopped(frozen.pid) { usleep(10_000) }
        #expect(throws: RRDError.self) { try slow.last(file: file) }
        // The frozen daemon's calls keep failing at their deadline; the other's are not behind them.
        for offset in 1...3 {
            try otherClient.update(file: file, rows: ["\(start + offset * 600):\(40_000 + offset)"])
        }
        #expect(try otherClient.last(file: file) == start + 1_800)
        #expect { try slow.last(file: file) } throws: { error in (error as? RRDError)?.timedOut == true }
        #expect(try otherClient.last(file: file) == start + 1_800)
    }

    static func isStopped(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "T"
    }

    @Test(.enabled(if: enabled)) func aSecondCreateNeverOverwrites() throws {
        let directory = TemporaryDirectory()
        let (daemon, client) = try daemon(directory)
        defer { withExtendedLifetime(daemon) {} }
        let file = RRDFile(path: "ETH-USD.rrd")
        try client.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        try client.update(file: file, rows: ["\(start):2000"])
        try client.flush(file: file)
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.file("ETH-USD.rrd")))
        #expect(throws: RRDError.self) {
            try client.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("ETH-USD.rrd"))) == before)
    }

    @Test(.enabled(if: enabled)) func absolutePathsAreRefusedOverTCP() throws {
        let directory = TemporaryDirectory()
        let (daemon, client) = try daemon(directory)
        defer { withExtendedLifetime(daemon) {} }
        let error = #expect(throws: RRDError.self) {
            try client.create(file: RRDFile(path: directory.file("x.rrd")), step: 600, start: start, definitions: Self.definitions)
        }
        #expect(error?.message.contains("absolute path") == true, "\(String(describing: error))")
    }

    @Test(.enabled(if: enabled)) func aClosedPortFailsAndNothingFallsBackToLocalFiles() throws {
        let directory = TemporaryDirectory()
        let client = RRDCachedClient(address: "127.0.0.1:\(RRDCachedDaemon.freePort())", timeout: 5)
        let file = RRDFile(path: "LTC-USD.rrd")
        for attempt in [{ try client.create(file: file, step: 600, start: 1_705_320_000, definitions: Self.definitions) },
                        { try client.update(file: file, rows: ["1705320600:1"]) },
                        { _ = try client.last(file: file) },
                        { _ = try client.fetch(file: file, consolidation: "AVERAGE", start: 1_705_320_000, end: 1_705_330_000) }] {
            let error = #expect(throws: RRDError.self) { try attempt() }
            #expect(error?.timedOut == false)
        }
        #expect(!FileManager.default.fileExists(atPath: "LTC-USD.rrd"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// After the daemon restarts (with its journal), the client dials again: one
    /// call may fail on the dead connection, the next succeeds with every row kept.
    @Test(.enabled(if: enabled)) func theClientReconnectsAfterTheDaemonRestarts() throws {
        let directory = TemporaryDirectory()
        let port = RRDCachedDaemon.freePort()
        var (daemon, client) = try self.daemon(directory, port: port)
        let file = RRDFile(path: "BTC-USD.rrd")
        try client.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        try client.update(file: file, rows: ["\(start):1", "\(start + 600):2"])
        daemon.stop()
        (daemon, client) = try self.daemon(directory, port: port)
        var last: Int?
        for _ in 0..<3 where last == nil { last = try? client.last(file: file) }
        #expect(last == start + 600)
        try client.update(file: file, rows: ["\(start + 1200):3"])
        let values = try client.fetch(file: file, consolidation: "AVERAGE", start: start - 600, end: start + 1200).column("rate")
        #expect(values.filter { !$0.value.isNaN }.map(\.value) == [1, 2, 3])
        withExtendedLifetime(daemon) {}
    }

    /// Two daemons, one file each (a shard per pair): librrd keeps one connection
    /// per process, so every call to the other daemon redials; no row goes astray.
    @Test(.enabled(if: enabled)) func callsAlternatingBetweenTwoDaemonsReachTheRightOne() throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        let (daemonA, clientA) = try daemon(first)
        let (daemonB, clientB) = try daemon(second)
        let file = RRDFile(path: "pair.rrd")
        try clientA.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        try clientB.create(file: file, step: 600, start: start - 600, definitions: Self.definitions)
        for slot in 0..<30 {
            try clientA.update(file: file, rows: ["\(start + slot * 600):\(slot)"])
            try clientB.update(file: file, rows: ["\(start + slot * 600):\(1000 + slot)"])
        }
        let a = try clientA.fetch(file: file, consolidation: "AVERAGE", start: start - 600, end: start + 29 * 600).column("rate")
        let b = try clientB.fetch(file: file, consolidation: "AVERAGE", start: start - 600, end: start + 29 * 600).column("rate")
        #expect(a.filter { !$0.value.isNaN }.map(\.value) == (0..<30).map(Double.init))
        #expect(b.filter { !$0.value.isNaN }.map(\.value) == (0..<30).map { Double(1000 + $0) })
        withExtendedLifetime((daemonA, daemonB)) {}
    }
}
