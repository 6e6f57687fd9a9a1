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
        let start: Int
        let end: Int
        let step: Int
        let points: [Point]
    }

    let series: RRDSeries
    let points: [Point]

    init(_ series: RRDSeries) {
        self.series = series
        func column(_ name: String) -> [Double?] {
            series.column(name).map { $0.value.isFinite ? $0.value : nil }
        }
        let rates = column("rate"), lows = column("min"), highs = column("max")
        points = rates.indices.map { index in
            Point(time: series.time(ofRow: index), rate: rates[index],
                  min: index < lows.count ? lows[index] : nil, max: index < highs.count ? highs[index] : nil)
        }
    }

    func document(pair: String) -> Document {
        Document(pair: pair, start: series.start, end: series.end, step: series.step, points: points)
    }

    var csv: String {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        var lines = ["time_utc,unix_time,rate,min,max"]
        for point in points {
            lines.append("\(Timestamp.iso8601(point.time)),\(point.time),\(text(point.rate)),\(text(point.min)),\(text(point.max))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
