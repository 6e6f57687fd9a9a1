/// The one place that maps wall-clock time to RRD time.
///
/// Samples are written at the start of their 10-minute slot (`floor(t/600)*600`).
/// RRDtool time-weights a GAUGE over the interval since the previous update, so
/// only aligned writes store exactly the observed values (see README, "RRD layout").
public struct Slot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds per slot: the RRD step.
    public static let seconds = 600

    /// Unix time of the slot's start, a multiple of `Slot.seconds`.
    public let start: Int

    /// The slot that contains the given Unix time.
    public init(containing time: Int) {
        start = Int((Double(time) / Double(Slot.seconds)).rounded(.down)) * Slot.seconds
    }

    public init(containing time: Double) {
        self.init(containing: Int(time.rounded(.down)))
    }

    public var next: Slot { Slot(containing: start + Slot.seconds) }
    public var previous: Slot { Slot(containing: start - Slot.seconds) }

    /// The slots strictly after `self` and strictly before `other`: the ones a gap skipped.
    public func slotsBetween(_ other: Slot) -> [Slot] {
        guard other.start - start > Slot.seconds else { return [] }
        return stride(from: start + Slot.seconds, to: other.start, by: Slot.seconds).map { Slot(containing: $0) }
    }

    public static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.start < rhs.start }

    public var description: String { Timestamp.iso8601(start) }
}

/// UTC timestamps as operators read them in the journal and the run record.
public enum Timestamp {
    public static func iso8601(_ unix: Int) -> String {
        var time = time_t(unix)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))"
            + "T\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))Z"
    }

    /// The wall-clock time `offset` seconds east of UTC, with that offset:
    /// `2026-11-29T07:40:00+01:00` (`Z` for an offset of zero).
    public static func iso8601(_ unix: Int, utcOffset offset: Int) -> String {
        guard offset != 0 else { return iso8601(unix) }
        var time = time_t(unix + offset)
        var parts = tm()
        gmtime_r(&time, &parts)
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))"
            + "T\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
            + "\(sign)\(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A length of time as an operator reads it: `45 s`, `12 min`, `5 h 3 min`, `3 d 2 h`.
    public static func span(_ seconds: Int) -> String {
        let value = abs(seconds)
        switch value {
        case ..<120: return "\(value) s"
        case ..<7200: return "\(value / 60) min"
        case ..<172_800: return "\(value / 3600) h \(value % 3600 / 60) min"
        default: return "\(value / 86_400) d \(value % 86_400 / 3600) h"
        }
    }

    /// Reads back what `iso8601` wrote (`2026-11-29T06:40:00Z`); nil for anything else.
    public static func parse(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Int(timegm(&parts))
    }
}

import FoundationEssentials
import Glibc
