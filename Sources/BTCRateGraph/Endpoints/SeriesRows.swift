import BTCRateCore
import LibRRD

/// An exported series as the data endpoints serve it: one row per point, with
/// unknown values as null (JSON) or empty (CSV).
struct SeriesRows {
    struct Point: Encodable {
        let time: Int
        let rate: Double?
        let min: Double?
        let max: Double?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            // Explicit nulls: a gap is data too.
            try container.encode(rate, forKey: .rate)
            try container.encode(min, forKey: .min)
            try container.encode(max, forKey: .max)
        }

        enum CodingKeys: String, CodingKey { case time, rate, min, max }
    }

    struct Document: Encodable {
        let pair: String
        let timeZone: String
        let start: Int
        let end: Int
        let step: Int
        let points: [Point]
    }

    let series: RRDSeries
    let points: [Point]
    /// Each row's offset from UTC in the chosen zone; empty for UTC.
    let utcOffsets: [Int]

    init(_ series: RRDSeries, utcOffsets: [Int] = []) {
        self.series = series
        self.utcOffsets = utcOffsets.count == series.rows.count ? utcOffsets : []
        func column(_ name: String) -> [Double?] {
            series.column(name).map { $0.value.isFinite ? $0.value : nil }
        }
        let rates = column("rate"), lows = column("min"), highs = column("max")
        points = rates.indices.map { index in
            Point(time: series.time(ofRow: index), rate: rates[index],
                  min: index < lows.count ? lows[index] : nil, max: index < highs.count ? highs[index] : nil)
        }
    }

    func document(pair: String, timeZone: String) -> Document {
        Document(pair: pair, timeZone: timeZone, start: series.start, end: series.end, step: series.step, points: points)
    }

    /// The CSV export. `time_local` (last, so that scripts reading the first
    /// five columns by position keep working) is the time in the view's zone,
    /// with its offset; Unix seconds stay the reference.
    var csv: String {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        var lines = ["time_utc,unix_time,rate,min,max,time_local"]
        for (index, point) in points.enumerated() {
            let local = Timestamp.iso8601(point.time, utcOffset: utcOffsets.isEmpty ? 0 : utcOffsets[index])
            lines.append("\(Timestamp.iso8601(point.time)),\(point.time),\(text(point.rate)),\(text(point.min)),\(text(point.max)),\(local)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
