import Glibc

/// Number formatting without Foundation's `String(format:)` (which lives in the
/// full Foundation and would link ICU into every process): C's own printf, for
/// the few fixed-point figures that journal lines and alerts carry.
public enum Format {
    /// `value` with `decimals` digits after the point (`%.Nf`), `+` in front of a
    /// positive one when `sign` is set (`%+.Nf`).
    public static func fixed(_ value: Double, _ decimals: Int, sign: Bool = false) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let pattern = "%" + (sign ? "+" : "") + ".\(max(0, min(decimals, 20)))f"
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, pattern, $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `value` in decimal with zeros in front up to `width` digits (`%0Nd`).
    public static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A size as `df -h` would round it, in binary units: `512 B`, `3.4 KiB`, `1.2 GiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count), unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(fixed(value, 1)) \(units[unit])"
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace, line breaks included (Foundation's
    /// `.whitespacesAndNewlines`).
    public var trimmed: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// Without leading and trailing spaces and tabs; line breaks stay (Foundation's `.whitespaces`).
    public var trimmedSpaces: String {
        let blank: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}

/// Paths as strings, the two operations btcrate needs.
public enum Paths {
    /// The folder holding `path`: `/a/b` → `/a`, `/a` → `/`, `b` → `.`.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
