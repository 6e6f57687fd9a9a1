import FoundationEssentials

/// Any JSON value, read and written with FoundationEssentials' JSONDecoder and
/// JSONEncoder. It stands in for the full Foundation's JSONSerialization (and its
/// NSNull and NSNumber) where btcrate handles JSON of no fixed shape: the price
/// sources' bodies, the alert payloads, `/healthz`.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Stands for JSON's null inside `[String: Any]` and `[Any]`.
    public struct Null: Sendable, Equatable {
        public init() {}
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Bool before numbers: JSONDecoder refuses 1 as a Bool, and true as a number.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a JSON text; nil when it is not one.
    public static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The value as Swift's own types: `[String: Any]`, `[Any]`, `String`, `Int`
    /// (a whole number) or `Double`, `Bool`, and `JSONValue.Null`.
    public var any: Any {
        switch self {
        case .null: Null()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let value): value.map(\.any)
        case .object(let value): value.mapValues(\.any)
        }
    }

    /// The inverse of `any`, for values built in code (`[String: Any]` payloads);
    /// anything that is not JSON becomes its description, as a string.
    public init(any value: Any?) {
        switch value {
        case nil, is Null: self = .null
        case let value as JSONValue: self = value
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .int(value)
        case let value as Double: self = .double(value)
        case let value as String: self = .string(value)
        case let value as [String: Any]: self = .object(value.mapValues { JSONValue(any: $0) })
        case let value as [String: Any?]: self = .object(value.mapValues { JSONValue(any: $0) })
        case let value as [Any]: self = .array(value.map { JSONValue(any: $0) })
        case let value as [Any?]: self = .array(value.map { JSONValue(any: $0) })
        case let value?: self = .string("\(value)")
        }
    }

    /// The JSON text: keys sorted, slashes left alone, compact unless `pretty`.
    public func encoded(pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
