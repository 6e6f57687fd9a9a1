/// A point in time as the graph endpoints accept it: Unix seconds (`1705320000`),
/// `now`, a relative form before now (`-6h`, `-30d`, `-90m`, `-2w`, `-1y`,
/// `-1209600s`), or `first`, the pair's oldest sample (a start only: "all").
///
/// btcrate parses these itself and hands librrd only absolute seconds: librrd's
/// own at-style parser is not thread-safe and accepts far more than a URL should.
public enum TimeSpec: Sendable, Equatable, CustomStringConvertible {
    case absolute(Int)
    case now
    /// Seconds before now.
    case ago(Int)
    /// The pair's oldest known sample.
    case first

    static let units: [(suffix: String, seconds: Int)] = [
        ("min", 60), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000),
    ]

    public init?(parsing text: String) {
        guard !text.isEmpty, text.count <= 16, text.allSatisfy({ $0.isASCII }) else { return nil }
        if text == "now" {
            self = .now
        } else if text == "first" {
            self = .first
        } else if text.allSatisfy(\.isNumber) {
            guard let seconds = Int(text), seconds <= 253_402_300_799 else { return nil }   // year 9999
            self = .absolute(seconds)
        } else if text.hasPrefix("-") {
            let body = text.dropFirst()
            guard let unit = Self.units.first(where: { body.hasSuffix($0.suffix) }) else { return nil }
            let digits = body.dropLast(unit.suffix.count)
            // Ten digits: the page sends spans in seconds, up to the archive's century.
            guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy(\.isNumber), let count = Int(digits), count > 0 else {
                return nil
            }
            self = .ago(count * unit.seconds)
        } else {
            return nil
        }
    }

    /// Absolute seconds; `first` resolves to `oldest` (nil: no sample yet, so a day ago).
    public func resolve(now: Int, oldest: Int? = nil) -> Int {
        switch self {
        case .absolute(let seconds): seconds
        case .now: now
        case .ago(let seconds): now - seconds
        case .first: oldest ?? now - 86_400
        }
    }

    /// True for forms that move with the clock: a view ending `now` follows new data.
    public var isRelative: Bool {
        if case .absolute = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .absolute(let seconds): "\(seconds)"
        case .now: "now"
        case .ago(let seconds): "-\(seconds)s"
        case .first: "first"
        }
    }
}
