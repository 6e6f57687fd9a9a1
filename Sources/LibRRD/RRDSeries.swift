import CRRD

/// Rows of consolidated values from `rrd_fetch_r` or `rrd_xport`.
public struct RRDSeries: Sendable, Equatable {
    public let start: Int
    public let end: Int
    public let step: Int
    public let dataSources: [String]
    /// One row per step; `rows[i]` covers the interval ending at `time(ofRow: i)`.
    /// NaN marks an unknown value.
    public let rows: [[Double]]

    public init(start: Int, end: Int, step: Int, dataSources: [String], rows: [[Double]]) {
        self.start = start
        self.end = end
        self.step = step
        self.dataSources = dataSources
        self.rows = rows
    }

    /// librrd's convention: the first row ends one step after `start`.
    public func time(ofRow index: Int) -> Int {
        start + (index + 1) * step
    }

    /// The values of one data source, with their row times, unknowns included as NaN.
    public func column(_ name: String) -> [(time: Int, value: Double)] {
        guard let column = dataSources.firstIndex(of: name) else { return [] }
        return rows.enumerated().map { (time(ofRow: $0.offset), $0.element[column]) }
    }

    public static func == (lhs: RRDSeries, rhs: RRDSeries) -> Bool {
        lhs.start == rhs.start && lhs.end == rhs.end && lhs.step == rhs.step
            && lhs.dataSources == rhs.dataSources
            && lhs.rows.count == rhs.rows.count
            && zip(lhs.rows, rhs.rows).allSatisfy { pair in
                zip(pair.0, pair.1).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            }
    }

    /// Copies librrd's arrays into Swift values and frees them.
    static func take(
        start: Int, end: Int, step: Int, dsCount: Int,
        names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        data: UnsafeMutablePointer<rrd_value_t>?
    ) -> RRDSeries {
        var sources: [String] = []
        for index in 0..<dsCount {
            sources.append(names?[index].map { String(cString: $0) } ?? "")
            rrd_freemem(names?[index])
        }
        rrd_freemem(names)
        let rowCount = step > 0 ? (end - start) / step : 0
        var rows: [[Double]] = []
        rows.reserveCapacity(rowCount)
        if let data, dsCount > 0 {
            for row in 0..<rowCount {
                rows.append((0..<dsCount).map { data[row * dsCount + $0] })
            }
        }
        rrd_freemem(data)
        return RRDSeries(start: start, end: end, step: step, dataSources: sources, rows: rows)
    }
}
