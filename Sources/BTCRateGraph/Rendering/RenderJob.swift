import BTCRateCore
import LibRRD

/// One piece of librrd work for a render worker: `rrd_graph_v` or `rrd_xport`
/// with arguments btcrate built itself (`GraphArguments`), never a URL's text.
/// Each job names its time zone: the worker sets `TZ` for it.
public enum RenderJob: Sendable, Equatable {
    /// A graph; the worker first runs its axis probe, if any (`ValueAxis`).
    case graph(GraphArguments.Graph)
    /// An export; with a zone other than UTC the reply carries each row's UTC offset.
    case export(arguments: [String], timeZone: TimeZoneName = .utc)

    var arguments: [String] {
        switch self {
        case .graph(let graph): graph.arguments
        case .export(let arguments, _): arguments
        }
    }

    var timeZone: TimeZoneName {
        switch self {
        case .graph(let graph): graph.timeZone
        case .export(_, let zone): zone
        }
    }

    /// What the job costs, roughly, for shedding load: a graph's pixels; an
    /// export's rows count as a few pixels each (xport draws nothing).
    var cost: Int {
        func number(_ option: String) -> Int {
            guard let index = arguments.firstIndex(of: option), index + 1 < arguments.count else { return 0 }
            return Int(arguments[index + 1]) ?? 0
        }
        switch self {
        case .graph: return number("--width") * number("--height") * max(1, number("--zoom")) * max(1, number("--zoom"))
        case .export: return number("--maxrows") * 10
        }
    }

    /// "graph --start 1700000000 --end 1700086400 --width 3000 ...", short enough for
    /// a journal line that says which job a killed worker had.
    var summary: String {
        let kind: String
        switch self {
        case .graph: kind = "graph"
        case .export: kind = "export"
        }
        let interesting: Set<String> = ["--start", "--end", "--width", "--height", "--step", "--maxrows"]
        var words = [kind]
        for (index, argument) in arguments.enumerated() where interesting.contains(argument) && index + 1 < arguments.count {
            words.append("\(argument.dropFirst(2))=\(arguments[index + 1])")
        }
        if let file = arguments.lazy.compactMap(Self.file(in:)).first { words.append("file=\(file)") }
        if timeZone != .utc { words.append("tz=\(timeZone)") }
        return words.joined(separator: " ")
    }

    /// The RRD file a DEF names (`DEF:rate=/var/lib/btcrate/BTC-USD.rrd:rate:AVERAGE`).
    private static func file(in argument: String) -> String? {
        guard argument.hasPrefix("DEF:"), let equals = argument.firstIndex(of: "=") else { return nil }
        let rest = argument[argument.index(after: equals)...]
        guard let end = rest.firstRange(of: ".rrd") else { return nil }
        return String(rest[..<end.upperBound]).split(separator: "/").last.map(String.init)
    }
}

/// What a worker answered.
public enum RenderReply: Sendable {
    /// The image and the geometry `rrd_graph_v` reported.
    case graph(RRDGraphResult)
    /// The rows, and for a job in another zone than UTC each row's offset from
    /// UTC in seconds there (empty for UTC).
    case export(RRDSeries, utcOffsets: [Int])
    /// librrd refused the job; its message, verbatim.
    case failed(String)
}
