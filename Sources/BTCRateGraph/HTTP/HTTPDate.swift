#if canImport(Glibc)
import Glibc
#endif

/// RFC 9110 dates for Last-Modified, formatted by hand: a DateFormatter per
/// request cost more than the rest of a cached answer (measured with wrk).
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// An email's Date header (RFC 5322): the same text with `+0000` for GMT.
    public static func mail(_ unix: Int) -> String {
        String(format(unix).dropLast(3)) + "+0000"
    }

    static func format(_ unix: Int) -> String {
        var time = time_t(unix)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
