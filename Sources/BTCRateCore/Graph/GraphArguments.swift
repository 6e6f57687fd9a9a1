/// Builds the argument lists for librrd's graph and export calls.
///
/// Only btcrate's own values reach librrd: absolute times and sizes it formatted
/// itself, names it checked (pairs, time zones), and file paths from the
/// configuration. Nothing from a URL is copied in.
public enum GraphArguments {
    /// rrdtool's DEF syntax separates fields with ':', so a ':' in a path must be escaped.
    static func escapedPath(_ path: String) -> String {
        path.replacingAll("\\", with: "\\\\").replacingAll(":", with: "\\:")
    }

    /// One series of a graph: a pair and its RRD file, and the daemon that holds
    /// it when it is a storage host's (TCP; the path is then relative to it).
    public struct Series: Sendable, Equatable {
        public let pair: CurrencyPair
        public let path: String
        public let daemon: String?
        public init(pair: CurrencyPair, path: String, daemon: String? = nil) {
            self.pair = pair
            self.path = path
            self.daemon = daemon
        }

        /// `DEF:vname=FILE:rate:CF`, with `:daemon=host\:port` for a remote file:
        /// per DEF, so that pairs on different storage hosts can be compared.
        func def(_ name: String, _ consolidation: String) -> String {
            let daemonPart = daemon.map { ":daemon=" + escapedPath($0) } ?? ""
            return "DEF:\(name)=\(escapedPath(path)):rate:\(consolidation)\(daemonPart)"
        }
    }

    /// A graph as the worker gets it: librrd's arguments, and the export that
    /// first measures the values so that the value axis gets round, evenly
    /// spaced labels (`ValueAxis`).
    public struct Graph: Sendable, Equatable {
        public let arguments: [String]
        /// nil: librrd lays out the value axis itself.
        public let probe: AxisProbe?
        public let timeZone: TimeZoneName

        public init(arguments: [String], probe: AxisProbe? = nil, timeZone: TimeZoneName = .utc) {
            self.arguments = arguments
            self.probe = probe
            self.timeZone = timeZone
        }
    }

    /// `rrd_graph_v` arguments (without argv[0]) for a PNG of `width` x `height`
    /// CSS pixels, drawn at `query.pixelRatio`.
    public static func graph(_ series: [Series], query: GraphQuery, range: ClosedRange<Int>, style: GraphQuery.Style,
                             annotations: [GraphAnnotation] = []) -> Graph {
        let theme = GraphTheme.of(query.theme)
        let change = query.mode == .change
        var arguments = [
            "-", "--imgformat", "PNG",
            "--start", "\(range.lowerBound)", "--end", "\(range.upperBound)",
            "--width", "\(query.width)", "--height", "\(query.height)", "--full-size-mode",
            "--zoom", "\(query.pixelRatio)",
            "--units-exponent", "0", "--slope-mode",
            "--vertical-label", change ? "% change" : series[0].pair.quote,
        ] + theme.options
        arguments += query.scale == .log ? ["--logarithmic", "--units=si"] : ["--alt-autoscale"]

        for (index, item) in series.enumerated() {
            arguments.append(item.def("rate\(index)", "AVERAGE"))
            arguments.append("VDEF:first\(index)=rate\(index),FIRST")
            arguments.append("CDEF:change\(index)=rate\(index),first\(index),/,1,-,100,*")
            if style == .band && !change {
                arguments += [
                    item.def("low\(index)", "MIN"), item.def("high\(index)", "MAX"),
                    "CDEF:spread\(index)=high\(index),low\(index),-",
                ]
            }
        }
        // Alert periods behind everything: a full-height shade for each point
        // within a step of the period, so that even a short one shows. An AREA
        // fills from zero, so the shade is drawn up to +INF and down to -INF
        // (a percent change has values below zero).
        for (index, period) in annotations.prefix(maxAnnotations).enumerated() {
            let during = "rate0,POP,TIME,STEPWIDTH,+,\(period.start),GE,TIME,STEPWIDTH,-,\(period.end),LE,*"
            arguments += [
                "CDEF:alert\(index)=\(during),INF,UNKN,IF", "AREA:alert\(index)\(theme.shade(period.severity))",
                "CDEF:alertbelow\(index)=\(during),NEGINF,UNKN,IF", "AREA:alertbelow\(index)\(theme.shade(period.severity))",
            ]
        }
        for (index, item) in series.enumerated() {
            let colour = theme.lines[index % theme.lines.count]
            let drawn = change ? "change\(index)" : "rate\(index)"
            if style == .band && !change {
                arguments += ["AREA:low\(index)", "AREA:spread\(index)\(theme.band)::STACK"]
            }
            arguments += [
                "LINE1.5:\(drawn)\(colour):\(item.pair)",
                "VDEF:last\(index)=rate\(index),LAST", "VDEF:min\(index)=rate\(index),MINIMUM",
                "VDEF:max\(index)=rate\(index),MAXIMUM", "VDEF:changed\(index)=change\(index),LAST",
                "GPRINT:last\(index):last %.2lf", "GPRINT:min\(index):min %.2lf", "GPRINT:max\(index):max %.2lf",
                "GPRINT:changed\(index):change %+.2lf%%",
            ]
            if index < series.count - 1 { arguments.append("COMMENT:\\n") }
        }
        // Which zone the time axis is in, at the end of the legend.
        arguments.append("COMMENT:\(query.timeZone.name)\\r")

        let probe = AxisProbe(arguments: probeArguments(series, range: range, width: query.width, style: style, change: change),
                              plotHeight: estimatedPlotHeight(height: query.height, legendLines: series.count),
                              logarithmic: query.scale == .log)
        return Graph(arguments: arguments, probe: probe, timeZone: query.timeZone)
    }

    /// At most this many alert periods are shaded on one graph (the newest).
    public static let maxAnnotations = 24

    /// The export that measures what the graph will draw: its rows as wide as
    /// the graph's pixels, so it consolidates as the graph does.
    static func probeArguments(_ series: [Series], range: ClosedRange<Int>, width: Int, style: GraphQuery.Style,
                               change: Bool) -> [String] {
        var arguments = [
            "--start", "\(range.lowerBound)", "--end", "\(range.upperBound)",
            "--maxrows", "\(max(10, width - 70))",
        ]
        for (index, item) in series.enumerated() {
            arguments.append(item.def("rate\(index)", "AVERAGE"))
            if change {
                arguments += ["VDEF:first\(index)=rate\(index),FIRST",
                              "CDEF:change\(index)=rate\(index),first\(index),/,1,-,100,*", "XPORT:change\(index)"]
            } else if style == .band {
                arguments += [item.def("low\(index)", "MIN"), item.def("high\(index)", "MAX"),
                              "XPORT:low\(index)", "XPORT:high\(index)"]
            } else {
                arguments.append("XPORT:rate\(index)")
            }
        }
        return arguments
    }

    /// The plot's height in a `height`-pixel image: librrd's full-size mode
    /// takes the legend's lines and the time axis' labels from it.
    static func estimatedPlotHeight(height: Int, legendLines: Int) -> Int {
        max(40, height - 28 - 14 * legendLines)
    }

    /// `rrd_xport` arguments for at most `points` rows of average, min and max.
    public static func export(_ series: Series, range: ClosedRange<Int>, points: Int) -> [String] {
        let span = range.upperBound - range.lowerBound
        let step = max(RRDLayout.step, (span / points + RRDLayout.step - 1) / RRDLayout.step * RRDLayout.step)
        return [
            "--start", "\(range.lowerBound)", "--end", "\(range.upperBound)",
            "--step", "\(step)", "--maxrows", "\(points)",
            series.def("rate", "AVERAGE"), series.def("low", "MIN"), series.def("high", "MAX"),
            "XPORT:rate:rate", "XPORT:low:min", "XPORT:high:max",
        ]
    }
}

/// A period to shade on a graph: an alert that fired for the pair.
public struct GraphAnnotation: Sendable, Equatable {
    public let start: Int
    public let end: Int
    public let severity: Severity
    public init(start: Int, end: Int, severity: Severity) {
        self.start = start
        self.end = end
        self.severity = severity
    }
}
