/// Value parsers for configuration keys. Each throws a message that, prefixed
/// with the key's name by the loader, tells the operator what to write instead.
enum Parse {
    static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmedSpaces }.filter { !$0.isEmpty }
    }

    static func integer(_ value: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ConfigError("'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func positive(_ value: String) throws(ConfigError) -> Double {
        guard let number = Double(value), number.isFinite, number > 0 else {
            throw ConfigError("'\(value)' is not a positive number")
        }
        return number
    }

    static func fraction(_ value: String) throws(ConfigError) -> Double {
        guard let number = Double(value), number.isFinite, number > 0, number <= 10 else {
            throw ConfigError("'\(value)' is not a fraction such as 0.1 (for 10 %)")
        }
        return number
    }

    /// Seconds, with an optional unit: `90`, `90s`, `5m`, `2h`, `1d`.
    static func duration(_ value: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var text = value
        var multiplier = 1.0
        if let last = text.last, let unit = units[last] {
            multiplier = unit
            text.removeLast()
        }
        guard let number = Double(text), number.isFinite, range.contains(number * multiplier) else {
            throw ConfigError("'\(value)' is not a duration from \(range.lowerBound) s to \(range.upperBound) s (units: s, m, h, d)")
        }
        return number * multiplier
    }

    static func bool(_ value: String) throws(ConfigError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigError("'\(value)' is not true or false")
        }
    }

    /// A bare mail address (local@domain), without display names or angle brackets.
    static func mailbox(_ value: String, allowEmpty: Bool) throws(ConfigError) -> String {
        if value.isEmpty, allowEmpty { return value }
        let parts = value.split(separator: "@")
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              value.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>,;\"".contains($0) }) else {
            throw ConfigError("'\(value)' is not a mail address such as alerts@example.org")
        }
        return value
    }

    static func url(_ value: String) throws(ConfigError) -> String {
        guard value.hasPrefix("http://") || value.hasPrefix("https://"), value.count > 8,
              !value.contains(where: { $0.isWhitespace }) else {
            throw ConfigError("'\(URLMask.mask(value))' is not an http:// or https:// URL")
        }
        return value
    }
}

import FoundationEssentials
import Glibc

/// Durations as the configuration writes them (`90`, `90s`, `5m`, `2h`, `1d`),
/// for command-line options that take one.
public enum DurationText {
    public static func seconds(_ text: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        try Parse.duration(text, in: range)
    }
}
