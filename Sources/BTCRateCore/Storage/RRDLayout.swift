/// The layout of every pair's RRD file. Documented in README, "RRD layout".
///
/// - Step 600 s, one row per 10-minute slot.
/// - Heartbeat 600 s (= step): with aligned writes each update is exactly one
///   step after the previous one, so any missed run shows as a gap instead of
///   being papered over by stretching the next value (heartbeat 2 x step would).
/// - GAUGE `rate`, `bid`, `ask`, each with no upper bound (validation bounds rates).
/// - Archives:
///   - 10-minute rows for 2 years (AVERAGE only: one-step archives do not
///     consolidate, so MIN/MAX/LAST would hold the same numbers);
///   - hourly rows for 10 years and daily rows for 100 years, each as AVERAGE,
///     MIN, MAX and LAST (a chart's mean, low-high band and close).
public enum RRDLayout {
    public static let step = Slot.seconds
    public static let heartbeat = Slot.seconds
    public static let dataSources = ["rate", "bid", "ask"]

    public struct Archive: Sendable, Equatable {
        public let consolidation: String
        public let steps: Int
        public let rows: Int
    }

    static let tenMinuteRows = 2 * 366 * 144      // 105,408: two years, leap days included
    static let hourlyRows = 10 * 366 * 24         // 87,840: ten years
    static let dailyRows = 100 * 366              // 36,600: a hundred years

    public static let archives: [Archive] = {
        var list = [Archive(consolidation: "AVERAGE", steps: 1, rows: tenMinuteRows)]
        for function in ["AVERAGE", "MIN", "MAX", "LAST"] {
            list.append(Archive(consolidation: function, steps: 6, rows: hourlyRows))
        }
        for function in ["AVERAGE", "MIN", "MAX", "LAST"] {
            list.append(Archive(consolidation: function, steps: 144, rows: dailyRows))
        }
        return list
    }()

    /// `DS:` and `RRA:` arguments for rrd_create.
    public static var definitions: [String] {
        dataSources.map { "DS:\($0):GAUGE:\(heartbeat):0:U" }
            + archives.map { "RRA:\($0.consolidation):0.5:\($0.steps):\($0.rows)" }
    }

    /// Bytes of values in a file: every archive row holds one double per data source.
    public static var valueBytes: Int {
        archives.reduce(0) { $0 + $1.rows } * dataSources.count * 8
    }

    /// An update row `TIME:rate:bid:ask` with `U` for unknown.
    public static func row(slot: Slot, rate: Double?, bid: Double?, ask: Double?) -> String {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "U" }
        return "\(slot.start):\(text(rate)):\(text(bid)):\(text(ask))"
    }

    /// Update rows for samples (ascending slots) written after `previous`.
    ///
    /// With the heartbeat equal to the step, a row more than one step after the
    /// previous update would be UNKNOWN itself, losing the first value after
    /// every gap. So each sample that follows a gap is preceded by an all-`U`
    /// row for the slot just before it: the gap stays unknown, the value is kept.
    public static func rows(_ samples: [(slot: Slot, rate: Double?, bid: Double?, ask: Double?)], after previous: Slot) -> [String] {
        var rows: [String] = []
        var last = previous
        for sample in samples where sample.slot > last {
            if sample.slot.previous > last {
                rows.append(row(slot: sample.slot.previous, rate: nil, bid: nil, ask: nil))
            }
            rows.append(row(slot: sample.slot, rate: sample.rate, bid: sample.bid, ask: sample.ask))
            last = sample.slot
        }
        return rows
    }
}
