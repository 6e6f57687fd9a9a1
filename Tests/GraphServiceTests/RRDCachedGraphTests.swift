@testable import BTCRateGraph
import BTCRateCore
import BTCRateTestSupport
import Foundation
import HummingbirdTesting
import LibRRD
import Testing

/// With rrdcached, the graph service must not make the daemon write files out
/// for every viewer: a cache hit or a 304 flushes nothing, and a new sample is
/// flushed once, when a render first needs it.
@Suite(.serialized) struct RRDCachedGraphTests {
    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func cacheHitsAndRevalidationsFlushNothingAndANewSampleFlushesOnce() async throws {
        let fixture = try GraphFixture()
        let daemon = try RRDCachedDaemon(directory: fixture.directory.path)
        fixture.configuration.rrdcachedAddress = daemon.address
        let socket = daemon.socket
        let uri = "/graph.json?start=-1d"
        try await fixture.application().test(.router) { client in
            let before = try Self.flushes(socket)
            let first = try await client.execute(uri: uri, method: .get) { try $0.body.json() }
            #expect(try Self.flushes(socket) == before + 1, "the first render needs the file on disk")
            let png = try await client.execute(uri: "/graph.png?start=-1d", method: .get) { $0 }
            for _ in 0..<10 {
                _ = try await client.execute(uri: "/graph.png?start=-1d", method: .get) { $0.status }
                try await client.execute(uri: "/graph.png?start=-1d", method: .get,
                                         headers: [.ifNoneMatch: png.headers[.eTag] ?? ""]) { #expect($0.status == .notModified) }
                _ = try await client.execute(uri: "/healthz", method: .get) { $0.status }
            }
            #expect(try Self.flushes(socket) == before + 1, "hits, 304s and health checks flushed nothing")

            // The collector writes the next slot through the daemon: the daemon holds it.
            let file = RRDFile(path: fixture.configuration.rrdPath(for: fixture.pair))
            let next = Slot(containing: GraphFixture.lastSlot).next
            try RRDCachedClient(address: "unix:\(socket)").update(
                file: file, rows: [RRDLayout.row(slot: next, rate: 55_555, bid: nil, ask: nil)])
            fixture.clock.advance(by: 600)
            // What the daemon holds is asked at most once a second.
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await client.execute(uri: uri, method: .get) { try $0.body.json() }
            #expect((second["latest"] as? [String: Any])?["value"] as? Double == 55_555)
            #expect((second["latest"] as? [String: Any])?["time"] as? Int == next.start)
            #expect(first["graph_end"] as? Int != second["graph_end"] as? Int)
            #expect(try Self.flushes(socket) == before + 2, "one flush for the new sample")
        }
        await fixture.service.renderPool.stop()
        withExtendedLifetime(daemon) {}
    }

    /// A graph node with no RRD file of its own, reading a storage host's
    /// rrdcached over TCP: graphs, data, the latest rate and /healthz come over
    /// the wire; with the daemon gone it answers 503, never a local copy, and
    /// its own directory stays empty.
    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func aGraphNodeReadsAStorageHostOverTCP() async throws {
        let fixture = try GraphFixture()
        let daemon = try RRDCachedDaemon(directory: fixture.directory.path, tcpPort: RRDCachedDaemon.freePort())
        let node = TemporaryDirectory()
        fixture.configuration.stateDirectory = node.path
        fixture.configuration.rrdcachedAddress = try #require(daemon.tcpAddress)
        let range = "start=\(GraphFixture.lastSlot - 86_400)&end=\(GraphFixture.lastSlot)"
        let daemonPID = daemon.pid
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok, "\($0.body.text)") }
            let meta = try await client.execute(uri: "/graph.json?\(range)", method: .get) { response in
                #expect(response.status == .ok, "\(response.body.text)")
                return try response.body.json()
            }
            #expect((meta["latest"] as? [String: Any])?["value"] as? Double == GraphFixture.price(GraphFixture.lastSlot))
            try await client.execute(uri: "/graph.png?\(range)&theme=dark", method: .get) { response in
                #expect(response.status == .ok && PNGHeader(response.body.bytes) != nil)
            }
            let csv = try await client.execute(uri: "/data.csv?\(range)", method: .get) { $0.body.text }
            #expect(csv.split(separator: "\n").count > 100)
            try await client.execute(uri: "/graph.json?start=first", method: .get) { #expect($0.status == .ok) }

            kill(daemonPID, SIGKILL)
            try await Task.sleep(for: .milliseconds(200))
            try await client.execute(uri: "/graph.png?start=\(GraphFixture.lastSlot - 7200)&end=\(GraphFixture.lastSlot)", method: .get) { response in
                #expect(response.status == .serviceUnavailable, "\(response.status): \(response.body.text)")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: node.path).filter { $0.hasSuffix(".rrd") }.isEmpty)
        await fixture.service.renderPool.stop()
        withExtendedLifetime(daemon) {}
    }

    static func flushes(_ socket: String) throws -> Int {
        try #require(RRDCachedDaemon.statistics(socket: socket)["FlushesReceived"])
    }
}
