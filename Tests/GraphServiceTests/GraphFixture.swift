@testable import BTCRateGraph
import BTCRateCore
import BTCRateTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import LibRRD
import Logging

/// A state directory with a real RRD file holding 40 days of a known price
/// path, and a graph service over it with a controlled clock.
final class GraphFixture: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let pair = try! CurrencyPair(parsing: "BTC-USD")
    let log = CapturedLog()
    /// 2024-01-15 12:00:37 UTC; the newest sample is for 12:00.
    static let now = 1_705_320_037
    static let lastSlot = 1_705_320_000
    static let firstSlot = lastSlot - 40 * 86_400
    /// A hole of two hours, ten days ago, to see gaps.
    static let hole = (lastSlot - 10 * 86_400)...(lastSlot - 10 * 86_400 + 7200)
    let clock = ManualClock(Date(timeIntervalSince1970: TimeInterval(GraphFixture.now)))
    var configuration = Configuration()

    static func price(_ time: Int) -> Double { 40_000 + Double((time / 600) % 1000) }

    /// How render workers are started (the real binary, unless a test breaks them).
    let workerCommand: WorkerCommand

    init(writeData: Bool = true, workers: WorkerCommand = GraphFixture.workers) throws {
        workerCommand = workers
        configuration.stateDirectory = directory.path
        // Two workers whatever the machine, so that tests see the same pool everywhere.
        configuration.renderWorkers = 2
        guard writeData else { return }
        let file = RRDFile(path: configuration.rrdPath(for: pair))
        try file.create(step: 600, start: Self.firstSlot - 600, definitions: RRDLayout.definitions)
        var samples: [(slot: Slot, rate: Double?, bid: Double?, ask: Double?)] = []
        for time in stride(from: Self.firstSlot, through: Self.lastSlot, by: 600) where !Self.hole.contains(time) {
            samples.append((Slot(containing: time), Self.price(time), nil, nil))
        }
        let rows = RRDLayout.rows(samples, after: Slot(containing: Self.firstSlot - 600))
        for chunk in stride(from: 0, to: rows.count, by: 500) {
            try file.update(Array(rows[chunk..<min(chunk + 500, rows.count)]))
        }
    }

    lazy var service = GraphService(configuration: configuration, workerCommand: workerCommand, clock: clock,
                                    logger: log.logger(level: .info))

    /// The render workers are the real `btcrate` binary, built beside the tests:
    /// the test runner cannot be one.
    static var workers: WorkerCommand {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("btcrate").path
        return WorkerCommand(executable: binary, arguments: [binary, "render-worker"])
    }

    func application() -> some ApplicationProtocol {
        service.buildApplication()
    }

    /// Every file in the state directory with its bytes, to prove requests change nothing.
    func snapshot() throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            result[name] = FileManager.default.contents(atPath: directory.file(name))
        }
        return result
    }
}

/// Reads a PNG's signature and IHDR dimensions.
struct PNGHeader {
    let width: Int
    let height: Int

    init?(_ bytes: [UInt8]) {
        guard bytes.count > 24, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = word(16)
        height = word(20)
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
    var text: String { String(buffer: self) }
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(readableBytesView)) as? [String: Any] ?? [:]
    }
}
