/// The alerts btcrate knows. Names are CamelCase, as in Prometheus practice,
/// and are a contract: operators filter on them (`journalctl BTCRATE_ALERT=RateStale`).
public enum AlertName: String, Codable, Sendable, CaseIterable, Comparable {
    // The stack
    case rateStale = "RateStale"
    case collectorFailing = "CollectorFailing"
    case quotaExhausted = "QuotaExhausted"
    case fallbackInUse = "FallbackInUse"
    case graphServiceDown = "GraphServiceDown"
    case storageError = "StorageError"
    case diskSpaceLow = "DiskSpaceLow"
    case clockJump = "ClockJump"
    case clockSkew = "ClockSkew"
    case clockNotSynchronised = "ClockNotSynchronised"
    case unitFailed = "UnitFailed"
    case notificationsFailing = "NotificationsFailing"
    /// Sent by `btcrate alerts test` only, and resolved at once: never a real page.
    case btcrateTest = "BtcrateTest"
    // The data
    case priceMove = "PriceMove"
    case priceAbove = "PriceAbove"
    case priceBelow = "PriceBelow"
    case spreadWide = "SpreadWide"
    case flatline = "Flatline"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Alerts whose critical condition implies their warning one (more slots
    /// missed, less space free). To Alertmanager the warning copy stays firing
    /// beside the critical, as two Prometheus rules would post them.
    public var escalates: Bool { self == .rateStale || self == .diskSpaceLow }
}

public enum Severity: String, Codable, Sendable, Comparable {
    case info, warning, critical

    var rank: Int { self == .critical ? 2 : self == .warning ? 1 : 0 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One alert instance: an alert name, for one pair or for the whole stack.
public struct AlertKey: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public let name: AlertName
    /// The pair, or "" for alerts about the stack as a whole.
    public let pair: String

    public init(_ name: AlertName, pair: String = "") {
        self.name = name
        self.pair = pair
    }

    public var description: String { pair.isEmpty ? name.rawValue : "\(name.rawValue){pair=\(pair)}" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.name, lhs.pair) < (rhs.name, rhs.pair) }
}

/// What a rule found in one evaluation: the condition holds (or not), with the
/// words and numbers an operator needs.
public struct Condition: Sendable, Equatable {
    public let key: AlertKey
    public let active: Bool
    public let severity: Severity
    /// One line: what is wrong.
    public let summary: String
    /// The likely cause and the next step.
    public let description: String
    /// The measured value and the threshold it crossed, for the journal and payloads.
    public let value: String?
    public let threshold: String?
    /// When the condition began, where the rule can tell (RateStale: the slot after
    /// the newest sample). Nil: from when the watchdog sees it.
    public let since: Int?
    /// On an inactive condition: why, when it is not simply clear ("its data is
    /// missing ..."). Journaled with the resolved entry.
    public let note: String?

    public init(key: AlertKey, active: Bool, severity: Severity, summary: String, description: String,
                value: String? = nil, threshold: String? = nil, since: Int? = nil, note: String? = nil) {
        self.key = key
        self.active = active
        self.severity = severity
        self.summary = summary
        self.description = description
        self.value = value
        self.threshold = threshold
        self.since = since
        self.note = note
    }
}
