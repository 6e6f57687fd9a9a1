@testable import BTCRateCLI
import BTCRateCore
import BTCRateTestSupport
import FakePriceServer
import Foundation
import LibRRD

/// The collector as production wires it (libcurl, librrd, the run record),
/// pointed at a loopback fake of the price APIs, with a controlled clock.
final class TestStack {
    let directory = TemporaryDirectory()
    let server: FakePriceServer
    let clock: ManualClock
    let log = CapturedLog()
    var configuration = Configuration()
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    static let apiKey = "SECRETKEY0123456789"

    /// 2024-01-15 12:00:37 UTC: 37 s into a slot, as a late timer would fire.
    init(time: Int = 1_705_320_037) throws {
        clock = ManualClock(Date(timeIntervalSince1970: TimeInterval(time)))
        server = try FakePriceServer()
        let clock = self.clock
        server.setClock { clock.now() }
        configuration.stateDirectory = directory.path
        // The manual clock never moves by itself, so a group_wait would never end.
        configuration.notify.groupWait = 0
        for source in [\Configuration.alphaVantageURL, \.coinbaseURL, \.krakenURL, \.bitstampURL] {
            configuration[keyPath: source] = server.baseURL
        }
        configuration.connectTimeout = 1
        configuration.totalTimeout = 2
    }

    var rrd: RRDFile { RRDFile(path: configuration.rrdPath(for: pair)) }
    var fileBytes: Data? { FileManager.default.contents(atPath: rrd.path) }
    var slot: Int { Slot(containing: clock.now().timeIntervalSince1970).start }

    func context(key: String? = TestStack.apiKey) -> AppContext {
        AppContext(configuration: configuration, apiKey: key.map { .init(key: $0, origin: "test") }, logger: log.logger())
    }

    func collect(key: String? = TestStack.apiKey) async -> CollectionRun.Result {
        await CollectionRun(context: context(key: key), clock: clock).perform(command: "test")
    }

    func advance(slots: Int) { clock.advance(by: TimeInterval(slots * Slot.seconds)) }

    /// The stored rate of each slot from `from` to `to`, NaN where unknown.
    func storedRates(from: Int, to: Int) throws -> [Double] {
        let series = try rrd.fetch(consolidation: "AVERAGE", start: from - 600, end: to, resolution: 600)
        return series.column("rate").filter { (from...to).contains($0.time) }.map(\.value)
    }

    var record: RunRecord? { RunRecordStore(stateDirectory: directory.path).load() }
}
