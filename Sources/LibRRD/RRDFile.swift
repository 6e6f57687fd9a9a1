import CRRD
#if canImport(Glibc)
import Glibc
#endif

/// One RRD file on disk, accessed through librrd's thread-safe `_r` calls.
///
/// Every method is synchronous and blocking (file I/O); callers in async code run
/// them off the cooperative pool. Times are Unix seconds: never pass at-style time
/// strings such as `N` or `now-1d`, whose parser in librrd is not thread-safe.
public struct RRDFile: Sendable, Hashable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var exists: Bool {
        access(path, F_OK) == 0
    }

    /// Creates the file with the given data source and archive definitions
    /// (`DS:...`, `RRA:...`). The first update may be for any time after `start`.
    ///
    /// The file is written under a temporary name and renamed into place, so a
    /// process killed mid-create never leaves a half-written RRD behind, and an
    /// existing file is never overwritten.
    public func create(step: Int, start: Int, definitions: [String]) throws {
        let temporary = "\(path).creating-\(getpid())"
        unlink(temporary)
        let argv = CStringArray(definitions)
        _ = try withRRDErrorContext(call: "rrd_create_r", path: path, {
            argv.withConst { rrd_create_r(temporary, UInt(step), time_t(start), argv.count, $0) }
        }, failed: { $0 != 0 })
        // link(2) fails when the target exists, unlike rename(2): no overwrite race.
        if link(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw RRDError(call: "link", path: path, message: String(cString: strerror(code)))
        }
        unlink(temporary)
    }

    /// Writes rows of the form `TIME:v1:v2:...` (`U` for unknown), oldest first.
    /// Times must be strictly newer than the file's last update.
    public func update(_ rows: [String], template: String? = nil) throws {
        guard !rows.isEmpty else { return }
        let argv = CStringArray(rows)
        _ = try withRRDErrorContext(call: "rrd_updatex_r", path: path, {
            argv.withConst { rrd_updatex_r(path, template, 0, argv.count, $0) }
        }, failed: { $0 != 0 })
    }

    /// The time of the last update (`rrdtool last`).
    public func last() throws -> Int {
        let value = try withRRDErrorContext(call: "rrd_last_r", path: path, {
            rrd_last_r(path)
        }, failed: { $0 == -1 })
        return Int(value)
    }

    /// The time of the last update and the value last written to each data source
    /// (`rrdtool lastupdate`). Unknown values come back as nil.
    public func lastUpdate() throws -> RRDLastUpdate {
        var time: time_t = 0
        var count: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        _ = try withRRDErrorContext(call: "rrd_lastupdate_r", path: path, {
            rrd_lastupdate_r(path, &time, &count, &names, &values)
        }, failed: { $0 != 0 })
        var result: [String: Double] = [:]
        var order: [String] = []
        for index in 0..<Int(count) {
            let name = names?[index].map { String(cString: $0) } ?? ""
            let text = values?[index].map { String(cString: $0) } ?? "U"
            order.append(name)
            if let number = Double(text), number.isFinite { result[name] = number }
            rrd_freemem(names?[index])
            rrd_freemem(values?[index])
        }
        rrd_freemem(names)
        rrd_freemem(values)
        return RRDLastUpdate(time: Int(time), dataSources: order, values: result)
    }

    /// Everything `rrdtool info` reports, keyed as it prints them (`ds[rate].type`, ...).
    public func info() throws -> [String: RRDInfoValue] {
        let list = try withRRDErrorContext(call: "rrd_info_r", path: path, { rrd_info_r(path) })
        defer { rrd_info_free(list) }
        return RRDInfoValue.dictionary(from: list)
    }

    /// Reads consolidated rows between `start` and `end` at (at least) `resolution`
    /// seconds. librrd labels each row with the end of its interval.
    public func fetch(consolidation: String, start: Int, end: Int, resolution: Int) throws -> RRDSeries {
        var from = time_t(start)
        var to = time_t(end)
        var step = UInt(resolution)
        var dsCount: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var data: UnsafeMutablePointer<rrd_value_t>?
        _ = try withRRDErrorContext(call: "rrd_fetch_r", path: path, {
            rrd_fetch_r(path, consolidation, &from, &to, &step, &dsCount, &names, &data)
        }, failed: { $0 != 0 })
        return RRDSeries.take(start: Int(from), end: Int(to), step: Int(step), dsCount: Int(dsCount), names: names, data: data)
    }
}

/// What `RRDFile.lastUpdate()` returns.
public struct RRDLastUpdate: Sendable, Equatable {
    public let time: Int
    public let dataSources: [String]
    /// Known values only; an unknown (`U`) data source is absent.
    public let values: [String: Double]
}
