/// Where the plot sits in a rendered image, as librrd reports it. The page maps
/// pixels to time with it (`t = graph_start + (x - graph_left) * (graph_end -
/// graph_start) / graph_width`), never with hard-coded offsets.
public struct GraphGeometry: Codable, Sendable, Equatable {
    public let graphLeft: Int
    public let graphTop: Int
    public let graphWidth: Int
    public let graphHeight: Int
    public let imageWidth: Int
    public let imageHeight: Int
    public let graphStart: Int
    public let graphEnd: Int
    /// The value axis' range; nil when the range holds no data at all.
    public let valueMin: Double?
    public let valueMax: Double?

    /// The time under horizontal pixel `x` of the image.
    public func time(atPixel x: Double) -> Double {
        Double(graphStart) + (x - Double(graphLeft)) * Double(graphEnd - graphStart) / Double(graphWidth)
    }
}

/// The newest sample of a pair, for the page's summary and /graph.json.
public struct LatestSample: Codable, Sendable, Equatable {
    public let value: Double
    /// Unix seconds of the slot the value was written for.
    public let time: Int
    public let ageSeconds: Int
    public let source: String?
    /// Relative change from the value 24 hours earlier, when that is known.
    public let change24h: Double?
    /// The highest and lowest sample of the 24 hours up to `time`.
    public let high24h: Double?
    public let low24h: Double?

    enum CodingKeys: String, CodingKey {
        case value, time, ageSeconds = "age_seconds", source, change24h = "change_24h", high24h = "high_24h", low24h = "low_24h"
    }
}
