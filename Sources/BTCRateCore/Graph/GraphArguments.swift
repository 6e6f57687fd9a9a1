/// Builds the argument lists for librrd's graph and export calls.
///
/// Only btcrate's own values reach librrd: absolute times and sizes it formatted
/// itself, and file paths from the configuration. Nothing from a URL is copied in.
public enum GraphArguments {
    /// rrdtool's DEF syntax separates fields with ':', so a ':' in a path must be escaped.
    static func escapedPath(_ path: String) -> String {
        path.replacingAll("\\", with: "\\\\").replacingAll(":", with: "\\:")
    }

    public struct Colors: Sendable {
        public static let line = "#F7931A"
        public static let band = "#F7931A40"
    }

    /// `rrd_graph_v` arguments (without argv[0]) for a PNG of exactly `width` x `height`.
    public static func graph(path: String, pair: CurrencyPair, range: ClosedRange<Int>, width: Int, height: Int,
                             style: GraphQuery.Style) -> [String] {
        let file = escapedPath(path)
        var arguments = [
            "-", "--imgformat", "PNG",
            "--start", "\(range.lowerBound)", "--end", "\(range.upperBound)",
            "--width", "\(width)", "--height", "\(height)", "--full-size-mode",
            "--alt-autoscale", "--units-exponent", "0", "--border", "0", "--slope-mode",
            "--vertical-label", "\(pair.quote)",
            "--watermark", "btcrate - times in UTC",
            "--color", "BACK#FFFFFF", "--color", "CANVAS#FFFFFF", "--color", "SHADEA#FFFFFF", "--color", "SHADEB#FFFFFF",
            "DEF:rate=\(file):rate:AVERAGE",
        ]
        if style == .band {
            arguments += [
                "DEF:low=\(file):rate:MIN", "DEF:high=\(file):rate:MAX",
                "CDEF:spread=high,low,-",
                "AREA:low",
                "AREA:spread\(Colors.band):min-max:STACK",
            ]
        }
        arguments += [
            "LINE1.5:rate\(Colors.line):\(pair) average",
            "VDEF:latest=rate,LAST", "GPRINT:latest:last %.2lf",
            "VDEF:lowest=rate,MINIMUM", "GPRINT:lowest:min %.2lf",
            "VDEF:highest=rate,MAXIMUM", "GPRINT:highest:max %.2lf\\r",
        ]
        return arguments
    }

    /// `rrd_xport` arguments for at most `points` rows of average, min and max.
    public static func export(path: String, range: ClosedRange<Int>, points: Int) -> [String] {
        let file = escapedPath(path)
        let span = range.upperBound - range.lowerBound
        let step = max(RRDLayout.step, (span / points + RRDLayout.step - 1) / RRDLayout.step * RRDLayout.step)
        return [
            "--start", "\(range.lowerBound)", "--end", "\(range.upperBound)",
            "--step", "\(step)", "--maxrows", "\(points)",
            "DEF:rate=\(file):rate:AVERAGE", "DEF:low=\(file):rate:MIN", "DEF:high=\(file):rate:MAX",
            "XPORT:rate:rate", "XPORT:low:min", "XPORT:high:max",
        ]
    }
}
