import BTCRateCore
import Foundation
import LibRRD
import Hummingbird
import Synchronization

/// Read access to the pairs' RRD files for the graph service: all librrd work
/// for graphs and exports runs on the `RenderThread`, and with rrdcached the
/// daemon is flushed before a file is read.
public final class GraphStore: Sendable {
    let configuration: Configuration
    let renderThread: RenderThread
    let cache: RRDCachedClient?
    private let oldest = Mutex<[String: Int]>([:])

    public init(configuration: Configuration, renderThread: RenderThread) {
        self.configuration = configuration
        self.renderThread = renderThread
        cache = configuration.rrdcachedClient
    }

    func file(_ pair: CurrencyPair) -> RRDFile { RRDFile(path: configuration.rrdPath(for: pair)) }

    /// A cheap fingerprint of the file's content: its modification time in
    /// nanoseconds (after a flush, with rrdcached). Nil if the file is missing.
    func version(of pair: CurrencyPair) async throws -> Int? {
        let file = file(pair)
        var info = stat()
        // A missing file is "no data yet" (404), whatever rrdcached would say about it.
        guard stat(file.path, &info) == 0 else { return nil }
        if let cache {
            try await cache.flush(file: file)
            guard stat(file.path, &info) == 0 else { return nil }
        }
        return Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
    }

    /// The time of the pair's oldest known sample (`start=first`, the page's "all"),
    /// remembered per file version: finding it reads whole archives.
    func oldestSample(_ pair: CurrencyPair, version: Int) async -> Int? {
        let key = "\(pair)|\(version)"
        if let known = oldest.withLock({ $0[key] }) { return known }
        let file = file(pair)
        let found = try? await offloaded { () -> Int? in
            let last = try file.last()
            // Coarsest first: the daily archive reaches furthest back. A consolidated
            // row needs half its slots known, so a young file may show only in finer ones.
            for (span, resolution) in [(100 * 365 * 86_400, 86_400), (10 * 365 * 86_400, 3600), (2 * 365 * 86_400, Slot.seconds)] {
                let series = try file.fetch(consolidation: "AVERAGE", start: max(0, last - span), end: last, resolution: resolution)
                if let first = series.column("rate").first(where: { !$0.value.isNaN }) {
                    return max(0, first.time - resolution)
                }
            }
            return nil
        }
        guard let found = found ?? nil else { return nil }
        oldest.withLock { cache in
            if cache.count > 64 { cache.removeAll() }
            cache[key] = found
        }
        return found
    }

    func render(_ pair: CurrencyPair, range: ClosedRange<Int>, width: Int, height: Int,
                style: GraphQuery.Style) async throws -> RenderedGraph {
        let arguments = GraphArguments.graph(path: file(pair).path, pair: pair, range: range,
                                             width: width, height: height, style: style)
        // Timed on the render thread: the histogram shows librrd's cost, not the queue's.
        let (result, seconds) = try await renderThread.run { () throws -> (RRDGraphResult, Double) in
            let started = ContinuousClock.now
            let result = try RRDGraph.render(arguments: arguments)
            return (result, (ContinuousClock.now - started).seconds)
        }
        return RenderedGraph(png: ByteBuffer(bytes: result.image), geometry: GraphGeometry(result.fields), renderSeconds: seconds)
    }

    func export(_ pair: CurrencyPair, range: ClosedRange<Int>, points: Int) async throws -> RRDSeries {
        let arguments = GraphArguments.export(path: file(pair).path, range: range, points: points)
        return try await renderThread.run { try RRDGraph.export(arguments: arguments) }
    }

    /// The newest sample, its age, its source (from the run record) and its change over 24 hours.
    func latest(_ pair: CurrencyPair, now: Int) async throws -> LatestSample? {
        let file = file(pair)
        guard file.exists else { return nil }
        let newest = try await offloaded { try Self.newestKnown(in: file) }
        guard let newest else { return nil }
        let dayBefore = try await offloaded { () -> Double? in
            let target = newest.time - 86_400
            let series = try file.fetch(consolidation: "AVERAGE", start: target - 600, end: target, resolution: 600)
            return series.column("rate").last { !$0.value.isNaN && $0.time <= target }?.value
        }
        let record = RunRecordStore(stateDirectory: configuration.stateDirectory).load()
        let source = record?.pairs.first { $0.pair == pair }?.lastSource
        return LatestSample(value: newest.value, time: newest.time, ageSeconds: max(0, now - newest.time),
                            source: source?.rawValue,
                            change24h: dayBefore.map { (newest.value - $0) / $0 })
    }

    /// The newest known rate and its slot. librrd's last update alone is not it: a
    /// file made by a run that got no sample has a last update (its start) and no value.
    private static func newestKnown(in file: RRDFile) throws -> (time: Int, value: Double)? {
        let last = try file.last()
        let series = try file.fetch(consolidation: "AVERAGE", start: last - 6 * 3600, end: last, resolution: Slot.seconds)
        return series.column("rate").last { !$0.value.isNaN && $0.time <= last }.map { ($0.time, $0.value) }
    }

    /// Whether the file can be read, and the time of its newest known sample (nil:
    /// none yet). Not librrd's last update alone: a file made by a run that got no
    /// sample has a last update (its start) and no value, and is not healthy.
    func health(_ pair: CurrencyPair) async -> Result<Int?, any Error> {
        let file = file(pair)
        // No file: the collector creates it with the first valid sample, so none is stored yet.
        var info = stat()
        guard stat(file.path, &info) == 0 || errno != ENOENT else { return .success(nil) }
        do {
            if let cache { try await cache.flush(file: file) }
            return .success(try await offloaded { try Self.newestKnown(in: file)?.time })
        } catch {
            return .failure(error)
        }
    }
}

/// A rendered PNG and its geometry. The PNG is kept as the ByteBuffer that
/// responses send, so a cached answer shares it instead of copying it.
public struct RenderedGraph: Sendable {
    public let png: ByteBuffer
    public let geometry: GraphGeometry
    public let renderSeconds: Double
}

extension GraphGeometry {
    init(_ fields: [String: RRDInfoValue]) {
        func int(_ key: String) -> Int { Int(fields[key]?.doubleValue ?? 0) }
        func double(_ key: String) -> Double? { fields[key]?.doubleValue.flatMap { $0.isFinite ? $0 : nil } }
        self.init(graphLeft: int("graph_left"), graphTop: int("graph_top"), graphWidth: int("graph_width"),
                  graphHeight: int("graph_height"), imageWidth: int("image_width"), imageHeight: int("image_height"),
                  graphStart: int("graph_start"), graphEnd: int("graph_end"),
                  valueMin: double("value_min"), valueMax: double("value_max"))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Blocking file work on a Dispatch thread rather than the cooperative pool.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
