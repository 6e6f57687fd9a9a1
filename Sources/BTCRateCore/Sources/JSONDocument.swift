import FoundationEssentials
import Glibc

/// Small helpers for reading the sources' JSON, where numbers arrive as strings.
enum JSONDocument {
    static func object(_ body: [UInt8], source: SourceID) throws(FetchFailure) -> [String: Any] {
        guard let parsed = JSONValue.parse(body)?.any else {
            throw FetchFailure(.malformedBody, source: source, detail: "not JSON (\(body.count) bytes)")
        }
        guard let object = parsed as? [String: Any] else {
            throw FetchFailure(.malformedBody, source: source, detail: "JSON is not an object")
        }
        return object
    }

    /// A decimal that the source sent as a string (or, leniently, as a number).
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let text as String: Double(text.trimmedSpaces)
        case let number as Double: number
        case let number as Int: Double(number)
        default: nil
        }
    }

    /// The latest Unix time btcrate accepts from a source (2200-01-01): anything
    /// larger is garbage, and would overflow on its way to an integer.
    static let latestTime = 7_258_118_400.0

    /// A Unix time in seconds: a finite number from 0 to `latestTime`, else nil.
    static func unixTime(_ value: Any?) -> Double? {
        guard let seconds = number(value), seconds.isFinite, (0...latestTime).contains(seconds) else { return nil }
        return seconds
    }

    static func malformed(_ source: SourceID, _ what: String) -> FetchFailure {
        FetchFailure(.malformedBody, source: source, detail: what)
    }
}
