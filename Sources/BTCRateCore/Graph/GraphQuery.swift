/// The parameters of `/graph.png`, `/graph.json`, `/data.json` and `/data.csv`,
/// parsed strictly from the raw query string: unknown or repeated parameters,
/// bad escapes and out-of-range values are refused with a short reason.
public struct GraphQuery: Sendable, Equatable {
    public enum Style: String, Sendable {
        /// The average as a line.
        case line
        /// The average as a line over the min-max band of each point.
        case band
        /// `band` for ranges of a week or more, where a point spans hours; `line` below.
        case auto
    }

    /// The image's colours (`theme=light|dark`); the page follows the browser's.
    public enum Theme: String, Sendable, CaseIterable {
        case light, dark
    }

    /// The value axis (`scale=linear|log`).
    public enum Scale: String, Sendable, CaseIterable {
        case linear, log
    }

    /// What is drawn (`mode=rate|change`): the rate itself, or its percent change
    /// from the view's first point, which compares pairs and long ranges fairly.
    public enum Mode: String, Sendable, CaseIterable {
        case rate, change
    }

    /// The first (or only) pair of the view.
    public var pair: CurrencyPair { pairs[0] }
    /// The pairs drawn: one, or up to `maxPairs` overlaid with `mode=change`.
    public var pairs: [CurrencyPair]
    public var start: TimeSpec
    public var end: TimeSpec
    public var width: Int
    public var height: Int
    public var style: Style
    public var points: Int
    public var theme: Theme
    /// Device pixels per CSS pixel (`dpr=1|2|3`): the PNG is that much larger,
    /// and its geometry stays in CSS pixels.
    public var pixelRatio: Int
    public var timeZone: TimeZoneName
    public var scale: Scale
    public var mode: Mode
    /// Alert periods shaded on the graph (`annotations=on|off`).
    public var annotations: Bool

    public static let maxPairs = 4
    public static let widthRange = 200...3000
    public static let heightRange = 100...1500
    public static let pointsRange = 10...10_000
    /// Shortest range: three slots. Longest: the daily archive's hundred years.
    public static let rangeBounds = 1800...(101 * 366 * 86_400)
    /// 1980-01-01: no numeric time before it is accepted.
    public static let earliestTime = 315_532_800

    /// What went wrong, in a few words for a 400 answer.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
        init(_ reason: String) { self.reason = reason }
    }

    public static let allowedNames: Set<String> = [
        "pair", "start", "end", "width", "height", "style", "points", "theme", "dpr", "tz", "scale", "mode", "annotations",
    ]

    /// Parses a raw query (`a=1&b=2`, without the `?`). `pairs` are the configured
    /// pairs: the only ones a query may name; the first is the default. `zones`
    /// says which time zone names exist (the system's zoneinfo by default).
    public init(rawQuery: String, pairs: [CurrencyPair], zones: TimeZoneName.Directory = .system) throws(Invalid) {
        guard rawQuery.utf8.count <= 512 else { throw Invalid("query string too long") }
        var values: [String: String] = [:]
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(pieces[0])
            guard Self.allowedNames.contains(name) else {
                throw Invalid("unknown parameter '\(Self.printable(name))'")
            }
            guard values[name] == nil else { throw Invalid("parameter '\(name)' given twice") }
            guard pieces.count == 2 else { throw Invalid("parameter '\(name)' has no value") }
            values[name] = try Self.decode(pieces[1])
        }
        guard let first = pairs.first else { throw Invalid("no pairs are configured") }
        if let text = values["pair"] {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard names.count <= Self.maxPairs else { throw Invalid("at most \(Self.maxPairs) pairs can be compared") }
            var chosen: [CurrencyPair] = []
            for name in names {
                guard let pair = pairs.first(where: { $0.description == name }) else {
                    throw Invalid("unknown pair '\(Self.printable(name))'; configured: \(pairs.map(\.description).joined(separator: ", "))")
                }
                guard !chosen.contains(pair) else { throw Invalid("pair \(pair) is named twice") }
                chosen.append(pair)
            }
            self.pairs = chosen
        } else {
            self.pairs = [first]
        }
        start = try Self.time(values["start"], name: "start", default: .ago(86_400))
        end = try Self.time(values["end"], name: "end", default: .now)
        width = try Self.integer(values["width"], name: "width", default: 800, range: Self.widthRange)
        height = try Self.integer(values["height"], name: "height", default: 300, range: Self.heightRange)
        points = try Self.integer(values["points"], name: "points", default: 600, range: Self.pointsRange)
        if let text = values["style"] {
            guard let style = Style(rawValue: text) else { throw Invalid("style must be line, band or auto") }
            self.style = style
        } else {
            style = .auto
        }
        theme = try Self.choice(values["theme"], name: "theme", default: .light)
        scale = try Self.choice(values["scale"], name: "scale", default: .linear)
        mode = try Self.choice(values["mode"], name: "mode", default: .rate)
        pixelRatio = try Self.integer(values["dpr"], name: "dpr", default: 1, range: 1...3)
        switch values["annotations"] {
        case nil, "on": annotations = true
        case "off": annotations = false
        default: throw Invalid("annotations must be on or off")
        }
        if let text = values["tz"] {
            guard let zone = TimeZoneName(text, in: zones) else {
                throw Invalid("tz must name a time zone of the system's zoneinfo, such as Europe/Paris or UTC")
            }
            timeZone = zone
        } else {
            timeZone = .utc
        }
        // dpr multiplies the pixels librrd draws: a 3000-pixel-wide graph at
        // dpr 3 would be 9000 wide. The budget is the largest graph at dpr 2.
        if width * pixelRatio > 6000 || height * pixelRatio > 3000 {
            throw Invalid("dpr=\(pixelRatio) is too large for \(width)x\(height): width x dpr must stay within 6000 and height x dpr within 3000")
        }
        if self.pairs.count > 1 && mode != .change {
            throw Invalid("comparing pairs needs mode=change (percent change from the start of the view)")
        }
        if scale == .log && mode == .change {
            throw Invalid("scale=log cannot draw mode=change: a percent change goes below zero")
        }
    }

    /// The pairs as the query names them (`BTC-USD,ETH-USD`).
    public var pairList: String { pairs.map(\.description).joined(separator: ",") }

    /// The absolute range, or why it is unusable. Relative forms resolve against `now`.
    /// `oldest` is the pair's oldest sample, for `start=first`.
    public func range(now: Int, oldest: Int? = nil) throws(Invalid) -> ClosedRange<Int> {
        guard end != .first else { throw Invalid("end cannot be first") }
        let to = end.resolve(now: now)
        // "all" of a young file still spans at least the shortest range.
        let from = start == .first ? min(start.resolve(now: now, oldest: oldest), to - Self.rangeBounds.lowerBound)
            : start.resolve(now: now)
        guard from >= 0 else { throw Invalid("start is before 1970") }
        guard to <= now + 7 * 86_400 else { throw Invalid("end is more than a week in the future") }
        guard to > from else { throw Invalid("end must be after start") }
        guard Self.rangeBounds.contains(to - from) else {
            throw Invalid("range must be from 30 minutes to 101 years")
        }
        return from...to
    }

    /// The style to draw for a range of this many seconds.
    public func effectiveStyle(span: Int) -> Style {
        style == .auto ? (span >= 7 * 86_400 ? .band : .line) : style
    }

    private static func time(_ text: String?, name: String, default value: TimeSpec) throws(Invalid) -> TimeSpec {
        guard let text else { return value }
        guard let spec = TimeSpec(parsing: text) else {
            throw Invalid("\(name) must be Unix seconds, 'now' or a relative time such as -6h, -30d, -1y")
        }
        // librrd reads small numbers as times of day or YYYYMMDD dates (start=20200101
        // became 2020-01-01): numbers that early are refused, never handed on.
        if case .absolute(let seconds) = spec, seconds < Self.earliestTime {
            throw Invalid("\(name)=\(text) is before 1980-01-01 (Unix \(Self.earliestTime)): numeric times are Unix seconds, not dates")
        }
        return spec
    }

    private static func choice<Value: RawRepresentable & CaseIterable>(_ text: String?, name: String, default value: Value) throws(Invalid) -> Value
        where Value.RawValue == String {
        guard let text else { return value }
        guard let chosen = Value(rawValue: text) else {
            throw Invalid("\(name) must be \(Value.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return chosen
    }

    private static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard let text else { return value }
        guard text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text), range.contains(number) else {
            throw Invalid("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Percent-decoding that refuses bad escapes, control characters and non-ASCII.
    static func decode(_ text: Substring) throws(Invalid) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw Invalid("bad percent escape")
                }
                bytes.append(high << 4 | low)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        guard bytes.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
            throw Invalid("parameters may only hold printable ASCII without spaces")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Echoes user input in error messages only in a short, harmless form.
    static func printable(_ text: String) -> String {
        let cleaned = text.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return String(cleaned.prefix(24))
    }
}
