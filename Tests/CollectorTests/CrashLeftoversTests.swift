@testable import BTCRateCLI
import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

/// What a kill -9 leaves behind, and how the next run that holds the state lock
/// deals with it (the fault test does the same with real kills, on the host).
@Suite struct CrashLeftoversTests {
    /// Half-made RRD files (btcrate's and librrd's temporary names) go; nothing else
    /// does: not the real files, not a symlink or a directory that merely look alike.
    @Test func leftoverTemporaryFilesAreRemovedAndNothingElse() throws {
        let directory = TemporaryDirectory(), elsewhere = TemporaryDirectory()
        let keep = ["BTC-USD.rrd", "last-run.json", "notes.rrd.txt"]
        let leftovers = ["BTC-USD.rrd.creating-4242", "ETH-USD.rrd.creating-rewind-77", "BTC-USD.rrd.creating-4242Ab3xYz"]
        for name in keep + leftovers { FileManager.default.createFile(atPath: directory.file(name), contents: Data("x".utf8)) }
        let target = elsewhere.file("precious")
        FileManager.default.createFile(atPath: target, contents: Data("keep me".utf8))
        try FileManager.default.createSymbolicLink(atPath: directory.file("LINK.rrd.creating-1"), withDestinationPath: target)
        try FileManager.default.createDirectory(atPath: directory.file("DIR.rrd.creating-2"), withIntermediateDirectories: false)
        let log = CapturedLog()
        LeftoverFiles.remove(in: directory.path, logger: log.logger())
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(left == Set(keep + ["LINK.rrd.creating-1", "DIR.rrd.creating-2"]))
        #expect(FileManager.default.contents(atPath: target) == Data("keep me".utf8))
        #expect(log.lines.filter { $0.message.hasPrefix("removed ") && $0.level == .notice }.count == leftovers.count)
    }

    /// A backfill killed before it finished left its range in backfill.json: the
    /// next collection run fills that range first, then writes its live sample, so
    /// no slot between them stays unknown; and the record is gone after.
    @Test func theNextRunCompletesAnInterruptedBackfillBeforeItsLiveSample() async throws {
        let stack = try TestStack()
        stack.configuration.sources = [.coinbase]
        let from = stack.slot - 12 * Slot.seconds, to = stack.slot - Slot.seconds
        let store = BackfillRecordStore(stateDirectory: stack.directory.path)
        try store.save(BackfillRecord(startedAt: stack.clock.now(), pairs: [.init(pair: stack.pair, from: from, to: to)]))
        let run = await stack.collect()
        #expect(run.exitCode == 0)
        #expect(stack.log.lines.contains { $0.message.hasPrefix("completing the interrupted backfill of BTC-USD") })
        let rates = try stack.storedRates(from: from, to: stack.slot)
        #expect(rates.count == 13 && rates.allSatisfy { !$0.isNaN })
        #expect(store.load() == nil)
    }
}
