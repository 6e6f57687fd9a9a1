#if canImport(Glibc)
import Glibc
#endif

/// What a render worker measures before it draws: an export of the values
/// the graph will show, and the plot's height they must fit.
public struct AxisProbe: Sendable, Equatable {
    /// `rrd_xport` arguments whose every column is drawn.
    public let arguments: [String]
    /// The plot's height in CSS pixels, as estimated from the image's.
    public let plotHeight: Int
    public let logarithmic: Bool

    public init(arguments: [String], plotHeight: Int, logarithmic: Bool) {
        self.arguments = arguments
        self.plotHeight = plotHeight
        self.logarithmic = logarithmic
    }
}

/// The value axis' labels: one per 40–60 pixels, at round steps (1, 1.5, 2,
/// 2.5, 3, 4, 5, 6 or 8 times a power of ten), whatever the range and height.
///
/// librrd's own choice spaces labels by the font's size alone, which drew 26
/// labels 200 USD apart on a 300-pixel graph; `--alt-y-grid` ignores the
/// height. So btcrate picks the step from the values it measured and hands
/// librrd `--y-grid`, keeping librrd's autoscaled range.
public enum ValueAxis {
    /// The pixels between two labels that the step aims for.
    public static let targetSpacing = 50.0

    /// librrd options for values from `low` to `high` on a plot `plotHeight` pixels high.
    public static func options(low: Double, high: Double, probe: AxisProbe) -> [String] {
        guard low.isFinite, high.isFinite, high >= low else { return [] }
        if probe.logarithmic {
            // A log axis' labels are librrd's, at whole multiples of a power of ten
            // (40 k, 50 k, 60 k). The range is the values' rounded out to such
            // multiples: it spans no decade it does not need, and even a narrow
            // one (38 k to 42 k becomes 30 k to 50 k) has labels at both ends.
            guard low > 0 else { return [] }
            let bottom = pow(10, log10(low).rounded(.down)), top = pow(10, log10(high).rounded(.down))
            let lower = (low / bottom).rounded(.down) * bottom, upper = (high / top).rounded(.up) * top
            // librrd labels a line only below the top, so the top has a hair more.
            return ["--lower-limit", format(lower, decimals: 6), "--upper-limit", format(max(upper, lower * 1.1) * 1.002, decimals: 6), "--rigid"]
        }
        let span = high > low ? high - low : max(abs(high) * 0.01, 0.01)
        let step = roundStep(span: span, plotHeight: Double(probe.plotHeight))
        let decimals = max(0, Int((-log10(step)).rounded(.up)) + (hasHalfDigit(step) ? 1 : 0))
        return ["--y-grid", "\(format(step, decimals: decimals + 2)):1", "--left-axis-format", "%.\(decimals)lf"]
    }

    /// The round steps of one decade. Neighbours differ by at most 1.5 times,
    /// so the one nearest 50 pixels is always within 40–60.
    static let mantissas: [Double] = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]

    /// The round step whose labels come nearest `targetSpacing` pixels apart.
    static func roundStep(span: Double, plotHeight: Double) -> Double {
        let pixelsPerUnit = max(plotHeight, 1) / span
        let wanted = targetSpacing / pixelsPerUnit
        let decade = pow(10, log10(wanted).rounded(.down))
        let candidates = mantissas.map { $0 * decade }
        return candidates.min { abs($0 * pixelsPerUnit - targetSpacing) < abs($1 * pixelsPerUnit - targetSpacing) } ?? decade
    }

    /// The smallest and largest finite value of an export, if any.
    public static func extent(_ rows: [[Double]]) -> (low: Double, high: Double)? {
        var low = Double.infinity, high = -Double.infinity
        for row in rows {
            for value in row where value.isFinite {
                low = min(low, value)
                high = max(high, value)
            }
        }
        return low <= high ? (low, high) : nil
    }

    /// 1.5 and 2.5 times a power of ten need one decimal more than the power.
    private static func hasHalfDigit(_ step: Double) -> Bool {
        let mantissa = step / pow(10, log10(step).rounded(.down))
        return abs(mantissa - mantissa.rounded()) > 1e-9
    }

    private static func format(_ value: Double, decimals: Int) -> String {
        Format.fixed(value, decimals)
    }
}
