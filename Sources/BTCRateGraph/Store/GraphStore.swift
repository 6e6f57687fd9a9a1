import BTCRateCore
import BlockingCalls
import Hummingbird
import LibRRD
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Read access to the pairs' RRD files for the graph service. Graphs and
/// exports go to the render workers; the thread-safe reads (fetch, last) run
/// on the pool for blocking calls. With rrdcached, files are flushed only when
/// rows the disk lacks are needed (`DaemonFreshness`).
public final class GraphStore: Sendable {
    let configuration: Configuration
    let renderPool: RenderPool
    /// Where each pair's file lives and how it is reached, worked out once.
    private let places: [CurrencyPair: Place]
    private let oldest = Mutex<[String: Int]>([:])
    /// rrd_last of direct files by modification time: asked once per change.
    private let lastUpdates = Mutex<[String: (stamp: Int, last: Int)]>([:])

    /// One pair's storage: its file, and with rrdcached the daemon's view of it
    /// (one `DaemonFreshness` per daemon, shared by the pairs it holds).
    private struct Place: Sendable {
        let location: RRDLocation
        let file: RRDFile
        let freshness: DaemonFreshness?
        /// Set when the file is a storage host's (TCP): read through the daemon only.
        let remoteDaemon: RRDCachedClient?
    }

    init(configuration: Configuration, renderPool: RenderPool) {
        self.configuration = configuration
        self.renderPool = renderPool
        var daemons: [String: DaemonFreshness] = [:]
        var places: [CurrencyPair: Place] = [:]
        for pair in configuration.pairs {
            let location = configuration.storage(for: pair)
            let client = configuration.rrdcachedClient(for: pair)
            var freshness: DaemonFreshness?
            if let client {
                if daemons[client.address] == nil { daemons[client.address] = DaemonFreshness(daemon: client) }
                freshness = daemons[client.address]
            }
            places[pair] = Place(location: location, file: RRDFile(path: location.path), freshness: freshness,
                                 remoteDaemon: location.isRemote ? client : nil)
        }
        self.places = places
    }

    private func place(_ pair: CurrencyPair) -> Place {
        // Queries name configured pairs only (GraphQuery checks); a pair added by a
        // reload gets a new store with the new configuration.
        places[pair] ?? Place(location: configuration.storage(for: pair), file: configuration.rrdFile(for: pair),
                              freshness: nil, remoteDaemon: nil)
    }

    func file(_ pair: CurrencyPair) -> RRDFile { place(pair).file }

    private func isRemote(_ pair: CurrencyPair) -> Bool { place(pair).remoteDaemon != nil }

    /// The daemon's view of the pair's file, when a daemon holds it.
    private func freshness(_ pair: CurrencyPair) -> DaemonFreshness? { place(pair).freshness }

    /// Reads the pair's file from disk, or over TCP through its daemon only.
    private func reader(_ pair: CurrencyPair) -> RRDReader {
        let place = place(pair)
        return RRDReader(file: place.file, remoteDaemon: place.remoteDaemon)
    }

    /// What a file holds now, cheaply: part of every cache key and ETag, so a new
    /// sample makes new keys. Nil when the file does not exist yet.
    ///
    /// A direct file's version is its modification time: one stat(2) of a cached
    /// inode, done inline because a hop to another thread costs more and the
    /// cached answers' throughput depends on it. With rrdcached it is the
    /// daemon's LAST for the file (queued rows included), not the file's
    /// modification time, which lags the daemon by up to its write delay.
    func version(of pair: CurrencyPair) async throws -> DataVersion? {
        // One lookup: this runs for every request, cached answers included.
        let place = place(pair)
        let file = place.file
        if place.remoteDaemon != nil, let freshness = place.freshness {
            // A storage host's file: its daemon's LAST is the version; there is nothing to stat.
            do {
                let last = try await freshness.last(file)
                return DataVersion(stamp: last, modified: last, lastUpdate: last)
            } catch let error as RRDError where error.isNoSuchFile {
                return nil
            }
        }
        var info = stat()
        // A missing file is "no data yet" (404), whatever rrdcached would say about it.
        guard stat(file.path, &info) == 0 else { return nil }
        if let freshness = place.freshness {
            let last = try await freshness.last(file)
            return DataVersion(stamp: last, modified: last, lastUpdate: last)
        }
        let stamp = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        return DataVersion(stamp: stamp, modified: Int(info.st_mtim.tv_sec), lastUpdate: await lastUpdate(file, stamp: stamp))
    }

    private func lastUpdate(_ file: RRDFile, stamp: Int) async -> Int? {
        if let known = lastUpdates.withLock({ $0[file.path] }), known.stamp == stamp { return known.last }
        guard let last = try? await Blocking.run({ try file.last() }) else { return nil }
        lastUpdates.withLock { $0[file.path] = (stamp, last) }
        return last
    }

    /// With rrdcached on this host: makes sure the disk holds what `version`
    /// promised before a render or read. Direct files, and a storage host's
    /// (read through the daemon, whose FETCH flushes): nothing to do.
    private func onDisk(_ pair: CurrencyPair, _ version: DataVersion?) async throws {
        guard !isRemote(pair), let freshness = freshness(pair) else { return }
        let file = file(pair)
        let through: Int
        if let version { through = version.stamp } else { through = try await freshness.last(file) }
        try await freshness.ensureOnDisk(file, through: through)
    }

    /// The time of the pair's oldest known sample (`start=first`, the page's "all"),
    /// remembered per file version: finding it reads whole archives.
    func oldestSample(_ pair: CurrencyPair, version: DataVersion) async -> Int? {
        let key = "\(pair)|\(version.stamp)"
        if let known = oldest.withLock({ $0[key] }) { return known }
        let file = reader(pair)
        guard (try? await onDisk(pair, version)) != nil else { return nil }
        let found = try? await Blocking.run { () -> Int? in
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

    /// Renders the query's pairs (`versions`: one per pair, in the query's order).
    func render(_ query: GraphQuery, range: ClosedRange<Int>, style: GraphQuery.Style, versions: [DataVersion],
                annotations: [GraphAnnotation], audience: RenderAudience) async throws -> RenderedGraph {
        var series: [GraphArguments.Series] = []
        for (pair, version) in zip(query.pairs, versions) {
            try await onDisk(pair, version)
            series.append(self.series(pair))
        }
        let graph = GraphArguments.graph(series, query: query, range: range, style: style, annotations: annotations)
        let path = series[0].path
        switch try await renderPool.render(.graph(graph), audience: audience) {
        case .graph(let result):
            return RenderedGraph(png: ByteBuffer(bytes: result.image), geometry: GraphGeometry(result.fields))
        case .failed(let message):
            throw RRDError(call: "rrd_graph_v", path: path, message: message)
        case .export:
            throw RRDError(call: "rrd_graph_v", path: path, message: "the worker answered with an export")
        }
    }

    /// The rows of one pair, with their UTC offsets in `zone` (empty for UTC).
    func export(_ pair: CurrencyPair, range: ClosedRange<Int>, points: Int, zone: TimeZoneName, version: DataVersion,
                audience: RenderAudience) async throws -> (series: RRDSeries, utcOffsets: [Int]) {
        let file = file(pair)
        try await onDisk(pair, version)
        let arguments = GraphArguments.export(series(pair), range: range, points: points)
        switch try await renderPool.render(.export(arguments: arguments, timeZone: zone), audience: audience) {
        case .export(let series, let offsets):
            return (series, offsets)
        case .failed(let message):
            throw RRDError(call: "rrd_xport", path: file.path, message: message)
        case .graph:
            throw RRDError(call: "rrd_xport", path: file.path, message: "the worker answered with a graph")
        }
    }

    /// A pair's series for librrd's DEFs: the file and, over TCP, its daemon.
    private func series(_ pair: CurrencyPair) -> GraphArguments.Series {
        let place = place(pair)
        return GraphArguments.Series(pair: pair, path: place.location.path, daemon: place.remoteDaemon?.address)
    }

    /// The newest sample, its age, its source (from the run record) and its change over 24 hours.
    func latest(_ pair: CurrencyPair, now: Int) async throws -> LatestSample? {
        let file = reader(pair)
        guard file.daemon != nil || file.file.exists else { return nil }
        try await onDisk(pair, nil)
        let stateDirectory = configuration.stateDirectory
        return try await Blocking.run { () -> LatestSample? in
            guard let newest = try Self.newestKnown(in: file) else { return nil }
            let target = newest.time - 86_400
            let day = try file.fetch(consolidation: "AVERAGE", start: target - 600, end: newest.time, resolution: 600)
                .column("rate").filter { !$0.value.isNaN && $0.time <= newest.time }
            let dayBefore = day.last { $0.time <= target }?.value
            let within = day.filter { $0.time > target }.map(\.value)
            let record = RunRecordStore(stateDirectory: stateDirectory).load()
            let source = record?.pairs.first { $0.pair == pair }?.lastSource
            return LatestSample(value: newest.value, time: newest.time, ageSeconds: max(0, now - newest.time),
                                source: source?.rawValue, change24h: dayBefore.map { (newest.value - $0) / $0 },
                                high24h: within.max(), low24h: within.min())
        }
    }

    /// The newest known rate and its slot. librrd's last update alone is not it: a
    /// file made by a run that got no sample has a last update (its start) and no value.
    private static func newestKnown(in file: RRDReader) throws -> (time: Int, value: Double)? {
        let last = try file.last()
        let series = try file.fetch(consolidation: "AVERAGE", start: last - 6 * 3600, end: last, resolution: Slot.seconds)
        return series.column("rate").last { !$0.value.isNaN && $0.time <= last }.map { ($0.time, $0.value) }
    }

    /// Whether the file can be read, and its newest known sample (nil: none
    /// yet). Not librrd's last update alone: a file made by a run that got no
    /// sample has a last update (its start) and no value, and is not healthy.
    func newest(_ pair: CurrencyPair) async -> Result<(time: Int, value: Double)?, any Error> {
        let file = reader(pair)
        // No file: the collector creates it with the first valid sample, so none is stored yet.
        if file.daemon == nil {
            var info = stat()
            guard stat(file.file.path, &info) == 0 || errno != ENOENT else { return .success(nil) }
        }
        do {
            try await onDisk(pair, nil)
            return .success(try await Blocking.run { try Self.newestKnown(in: file) })
        } catch let error as RRDError where file.daemon != nil && error.isNoSuchFile {
            return .success(nil)
        } catch {
            return .failure(error)
        }
    }
}

/// What a file holds, as `GraphStore.version` tells it.
struct DataVersion: Sendable, Equatable {
    /// Opaque; changes whenever the data may have: part of cache keys and ETags.
    let stamp: Int
    /// Unix seconds, for Last-Modified.
    let modified: Int
    /// The file's last update (its newest row, known or not), for Cache-Control.
    let lastUpdate: Int?

    /// Several files' versions as one (a comparison of pairs): it changes when
    /// any of them does, is as new as the newest, and as settled as the least.
    static func combined(_ versions: [DataVersion]) -> DataVersion {
        guard versions.count > 1 else { return versions[0] }
        var stamp = 14_695_981_039_346_656_037 as UInt64
        for version in versions { stamp = (stamp ^ UInt64(bitPattern: Int64(version.stamp))) &* 1_099_511_628_211 }
        let updates = versions.compactMap(\.lastUpdate)
        return DataVersion(stamp: Int(Int64(bitPattern: stamp)), modified: versions.map(\.modified).max() ?? 0,
                           lastUpdate: updates.count == versions.count ? updates.min() : nil)
    }
}

/// A rendered PNG and its geometry. The PNG is kept as the ByteBuffer that
/// responses send, so a cached answer shares it instead of copying it.
public struct RenderedGraph: Sendable {
    public let png: ByteBuffer
    public let geometry: GraphGeometry
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
