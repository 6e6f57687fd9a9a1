import BTCRateTestSupport
import Foundation
import LibRRD
import Testing

/// librrd through the wrapper, on real files.
@Suite struct RRDFileTests {
    let directory = TemporaryDirectory()
    let start = 1_705_320_000
    let definitions = ["DS:rate:GAUGE:600:0:U", "DS:bid:GAUGE:600:0:U", "RRA:AVERAGE:0.5:1:100", "RRA:MAX:0.5:6:10"]

    func newFile() throws -> RRDFile {
        let file = RRDFile(path: directory.file("t.rrd"))
        try file.create(step: 600, start: start - 600, definitions: definitions)
        return file
    }

    @Test func alignedUpdatesStoreExactlyTheObservedValues() throws {
        let file = try newFile()
        try file.update(["\(start):400:399", "\(start + 600):500:U"])
        let series = try file.fetch(consolidation: "AVERAGE", start: start - 600, end: start + 600, resolution: 600)
        let rate = series.column("rate").filter { !$0.value.isNaN }
        #expect(rate.map(\.value) == [400, 500])
        // librrd labels a row with the end of its interval: the value written at
        // T covers (T-600, T], so it is the row labelled T.
        #expect(rate.map(\.time) == [start, start + 600])
        #expect(series.column("bid").first { $0.time == start + 600 }?.value.isNaN == true)
    }

    @Test func unalignedUpdatesWouldBlendValues() throws {
        // Why the collector aligns: the measured 493.83 effect from rrdtool-facts.md.
        let file = try newFile()
        try file.update(["\(start - 563):300:U", "\(start + 37):400:U", "\(start + 637):500:U"])
        let series = try file.fetch(consolidation: "AVERAGE", start: start, end: start + 600, resolution: 600)
        let value = series.column("rate").first { $0.time == start + 600 }?.value ?? .nan
        #expect(abs(value - 493.83) < 0.01)
    }

    @Test func lastAndLastUpdateReportTheNewestRow() throws {
        let file = try newFile()
        #expect(try file.last() == start - 600)
        try file.update(["\(start):400:399"])
        #expect(try file.last() == start)
        let last = try file.lastUpdate()
        #expect(last.time == start && last.values == ["rate": 400, "bid": 399] && last.dataSources == ["rate", "bid"])
    }

    @Test func aRepeatedTimeIsRecognisedAndLeavesTheFileAlone() throws {
        let file = try newFile()
        try file.update(["\(start):400:399"])
        let before = try Data(contentsOf: URL(fileURLWithPath: file.path))
        do {
            try file.update(["\(start):401:399"])
            Issue.record("librrd accepted a repeated time")
        } catch let error as RRDError {
            #expect(error.isNotNewerThanLastUpdate)
            #expect(error.call == "rrd_updatex_r")
            #expect(error.message.contains("illegal attempt to update using time"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == before)
    }

    @Test func errorsKeepLibrrdsMessageAndNameTheCallAndFile() {
        let missing = RRDFile(path: directory.file("missing.rrd"))
        #expect(!missing.exists)
        do {
            _ = try missing.lastUpdate()
            Issue.record("expected an error")
        } catch let error as RRDError {
            #expect(error.description.hasPrefix("rrd_lastupdate_r(\(missing.path)): "))
            #expect(error.message.contains("No such file or directory"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func createNeverOverwritesAndLeavesNoTemporaryFile() throws {
        let file = try newFile()
        try file.update(["\(start):400:399"])
        #expect(throws: RRDError.self) { try file.create(step: 600, start: start, definitions: definitions) }
        #expect(try file.last() == start)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == ["t.rrd"])
    }

    @Test func infoDescribesTheLayout() throws {
        let info = try newFile().info()
        #expect(info["step"] == .count(600))
        #expect(info["ds[rate].type"]?.stringValue == "GAUGE")
        #expect(info["ds[rate].minimal_heartbeat"] == .count(600))
        #expect(info["rra[1].cf"]?.stringValue == "MAX")
    }

    @Test func graphRendersAPNGWithItsGeometry() throws {
        let file = try newFile()
        try file.update((0..<12).map { "\(start + $0 * 600):\(400 + $0):U" })
        let result = try RRDGraph.render(arguments: [
            "-", "--imgformat", "PNG", "--start", "\(start - 600)", "--end", "\(start + 7200)",
            "--width", "400", "--height", "100", "DEF:r=\(file.path):rate:AVERAGE", "LINE1:r#0000ff",
        ])
        #expect(Array(result.image.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(result.fields["graph_width"]?.doubleValue == 400)
        #expect(result.fields["graph_start"]?.doubleValue == Double(start - 600))
    }

    @Test func exportMatchesFetch() throws {
        let file = try newFile()
        try file.update((0..<6).map { "\(start + $0 * 600):\(400 + $0):U" })
        let series = try RRDGraph.export(arguments: [
            "--start", "\(start - 600)", "--end", "\(start + 3000)", "--step", "600",
            "DEF:r=\(file.path):rate:AVERAGE", "XPORT:r:rate",
        ])
        let known = series.column("rate").filter { !$0.value.isNaN }
        #expect(known.first?.time == start && known.first?.value == 400, "\(series)")
    }

    @Test func aGraphErrorIsThrownNotPrinted() {
        #expect(throws: RRDError.self) {
            try RRDGraph.render(arguments: ["-", "DEF:r=\(directory.file("missing.rrd")):rate:AVERAGE", "LINE1:r#000"])
        }
    }
}
