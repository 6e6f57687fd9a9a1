import Foundation
import LibRRD
import Testing
import BTCRateTestSupport

/// Writes through a real rrdcached on a unix socket in a temporary directory.
@Suite(.serialized) struct RRDCachedTests {
    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func updatesAreHeldUntilFlushedThenVisible() throws {
        let directory = TemporaryDirectory()
        let daemon = try RRDCachedDaemon(directory: directory.path)
        let start = 1_705_320_000
        let file = RRDFile(path: directory.file("c.rrd"))
        try file.create(step: 600, start: start - 600, definitions: ["DS:rate:GAUGE:600:0:U", "RRA:AVERAGE:0.5:1:10"])
        let client = RRDCachedClient(address: daemon.address)
        try client.forget(file: file)
        try client.update(file: file, rows: ["\(start):400", "\(start + 600):401"])
        // The daemon holds the rows: the file itself has not changed yet.
        #expect(try file.last() == start - 600)
        // LAST answers from the daemon's queue, without writing anything out.
        #expect(try client.last(file: file) == start + 600)
        #expect(try file.last() == start - 600)
        try client.flush(file: file)
        #expect(try file.last() == start + 600)
        #expect(try file.lastUpdate().values["rate"] == 401)
    }
}
