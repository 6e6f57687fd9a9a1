import CRRD
import Synchronization

/// librrd's graphing and export calls, which have no thread-safe `_r` form.
///
/// In librrd 1.7.2 concurrent `rrd_graph_v` calls crash the process, so every
/// call here holds one process-wide lock: one render at a time, whichever thread
/// asks. (The graph service calls them only in its render worker processes, one
/// job at a time each: see BTCRateGraph's RenderPool.)
public enum RRDGraph {
    private static let renderLock = Mutex(())

    /// Runs `rrd_graph_v` with the given arguments (without argv[0]). With `-` as
    /// the file name the image comes back in `image`; the rest of the dictionary
    /// holds the geometry (`graph_left`, `graph_width`, `value_min`, ...).
    public static func render(arguments: [String]) throws -> RRDGraphResult {
        let argv = CStringArray(["graphv"] + arguments)
        let info = try renderLock.withLock { _ in
            let info = try withRRDErrorContext(call: "rrd_graph_v", path: nil, {
                argv.withMutable { pointer -> [String: RRDInfoValue]? in
                    guard let list = rrd_graph_v(argv.count, pointer) else { return nil }
                    defer { rrd_info_free(list) }
                    return RRDInfoValue.dictionary(from: list)
                }
            })
            try refuseSilentFallback("rrd_graph_v")
            return info
        }
        var fields = info
        var image: [UInt8] = []
        if case .blob(let bytes)? = fields.removeValue(forKey: "image") {
            image = bytes
        }
        return RRDGraphResult(image: image, fields: fields)
    }

    /// Runs `rrd_xport` (`rrdtool xport` without argv[0]) and returns its series.
    public static func export(arguments: [String]) throws -> RRDSeries {
        let argv = CStringArray(["xport"] + arguments)
        return try renderLock.withLock { _ in
            var columns: Int32 = 0
            var start: time_t = 0
            var end: time_t = 0
            var step: UInt = 0
            var count: UInt = 0
            var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
            var data: UnsafeMutablePointer<rrd_value_t>?
            _ = try withRRDErrorContext(call: "rrd_xport", path: nil, {
                argv.withMutable { rrd_xport(argv.count, $0, &columns, &start, &end, &step, &count, &names, &data) }
            }, failed: { $0 != 0 })
            try refuseSilentFallback("rrd_xport")
            // Same convention as rrd_fetch_r: row i ends at start + (i + 1) * step.
            return RRDSeries.take(start: Int(start), end: Int(end), step: Int(step),
                                  dsCount: Int(count), names: names, data: data)
        }
    }
}

/// librrd 1.7.2 draws from a local file of the same name when a DEF's daemon
/// cannot be reached, and says so only in its error buffer: an answer that
/// came back with an error is a failure (a graph node has no local files, and
/// a stale copy must never be shown as the storage host's data).
private func refuseSilentFallback(_ call: String) throws {
    guard let text = rrd_get_error().map({ String(cString: $0) }), !text.isEmpty else { return }
    rrd_clear_error()
    throw RRDError(call: call, path: nil, message: text)
}

/// What `RRDGraph.render` returns.
public struct RRDGraphResult: Sendable {
    /// The encoded image (PNG unless `--imgformat` said otherwise).
    public let image: [UInt8]
    /// Every other key `rrd_graph_v` reported.
    public let fields: [String: RRDInfoValue]

    public init(image: [UInt8], fields: [String: RRDInfoValue]) {
        self.image = image
        self.fields = fields
    }
}
