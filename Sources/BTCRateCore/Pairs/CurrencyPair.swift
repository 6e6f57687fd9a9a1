/// A currency pair such as BTC-USD. The name doubles as the RRD file name
/// (`BTC-USD.rrd`), so only upper-case letters and digits are accepted: nothing a
/// configuration typo could turn into a path.
public struct CurrencyPair: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let base: String
    public let quote: String

    public init(base: String, quote: String) throws(PairError) {
        for code in [base, quote] where !Self.isValidCode(code) {
            throw PairError(text: "\(base)-\(quote)", reason: "currency codes are 2 to 10 upper-case letters or digits")
        }
        self.base = base
        self.quote = quote
    }

    /// Parses `BTC-USD` (also `BTC/USD`, and lower case).
    public init(parsing text: String) throws(PairError) {
        let parts = text.uppercased().split(whereSeparator: { $0 == "-" || $0 == "/" }).map(String.init)
        guard parts.count == 2 else {
            throw PairError(text: text, reason: "expected FROM-TO, e.g. BTC-USD")
        }
        try self.init(base: parts[0], quote: parts[1])
    }

    public var description: String { "\(base)-\(quote)" }
    public var fileName: String { "\(description).rrd" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }

    private static func isValidCode(_ code: String) -> Bool {
        (2...10).contains(code.count) && code.allSatisfy { ($0.isASCII && $0.isUppercase) || ($0.isASCII && $0.isNumber) }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public struct PairError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid pair '\(text)': \(reason)" }
}
