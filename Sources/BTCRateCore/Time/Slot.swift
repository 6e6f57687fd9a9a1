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
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

import Foundation
