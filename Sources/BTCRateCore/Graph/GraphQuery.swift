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

    public var pair: CurrencyPair
    public var start: TimeSpec
    public var end: TimeSpec
    public var width: Int
    public var height: Int
    public var style: Style
    public var points: Int

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

    public static let allowedNames: Set<String> = ["pair", "start", "end", "width", "height", "style", "points"]

    /// Parses a raw query (`a=1&b=2`, without the `?`). `pairs` are the configured
    /// pairs: the only ones a query may name; the first is the default.
    public init(rawQuery: String, pairs: [CurrencyPair]) throws(Invalid) {
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
            guard let pair = pairs.first(where: { $0.description == text }) else {
                throw Invalid("unknown pair '\(Self.printable(text))'; configured: \(pairs.map(\.description).joined(separator: ", "))")
            }
            self.pair = pair
        } else {
            self.pair = first
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
    }

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
