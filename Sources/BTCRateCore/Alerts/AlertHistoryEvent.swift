/// One line of `alert-history.jsonl`: an alert started firing (or changed
/// severity while firing), or resolved. Repeats are not history: nothing changed.
///
/// The line is this value as compact JSON with snake_case keys; nil fields are
/// left out. Readers ignore keys they do not know, so later versions may add fields.
public struct AlertHistoryEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case firing, resolved }

    /// When it happened (Unix seconds): the evaluation that saw the change.
    public let at: Int
    public let event: Kind
    /// The alert's name (`RateStale`); a string, so that a line written by a later
    /// version with an alert this one does not know still reads.
    public let alert: String
    /// Nil for alerts about the stack as a whole (`UnitFailed`, `ClockJump`).
    public let pair: String?
    public let severity: Severity
    /// Set on an escalation (or de-escalation): the severity it fired at before.
    public let previousSeverity: Severity?
    public let summary: String
    /// When the condition began, as payloads give `startsAt` (AlertState.startsAt).
    public let startedAt: Int
    public let value: String?
    public let threshold: String?
    /// Why a resolved alert resolved when its condition did not simply clear.
    public let note: String?

    public init(at: Int, event: Kind, alert: String, pair: String?, severity: Severity, previousSeverity: Severity? = nil,
                summary: String, startedAt: Int, value: String? = nil, threshold: String? = nil, note: String? = nil) {
        self.at = at
        self.event = event
        self.alert = alert
        self.pair = pair
        self.severity = severity
        self.previousSeverity = previousSeverity
        self.summary = summary
        self.startedAt = startedAt
        self.value = value
        self.threshold = threshold
        self.note = note
    }

    /// The event a transition records; nil for a repeat.
    public init?(_ transition: Transition) {
        let kind: Kind
        switch transition.kind {
        case .firing: kind = .firing
        case .resolved: kind = .resolved
        case .repeated: return nil
        }
        let alert = transition.alert
        self.init(at: transition.at, event: kind, alert: alert.key.name.rawValue, pair: alert.key.pair.isEmpty ? nil : alert.key.pair,
                  severity: alert.severity, previousSeverity: transition.previousSeverity, summary: alert.summary,
                  startedAt: alert.startsAt, value: alert.value, threshold: alert.threshold, note: transition.note)
    }

    /// The alert's identity across events: its name and pair, as AlertKey.
    var identity: String { pair.map { "\(alert){pair=\($0)}" } ?? alert }
}

/// A stretch of time in which one alert (one name, one pair) fired, for the graph's
/// bands and `btcrate alerts history`.
public struct AlertPeriod: Sendable, Equatable, Codable {
    public let alert: String
    public let pair: String?
    /// The highest severity it reached in the period.
    public let severity: Severity
    /// The summary it had at that severity (the latest such).
    public let summary: String
    /// When the condition began (the firing's `started_at`), Unix seconds.
    public let start: Int
    /// When it resolved; nil: still firing, as far as the history knows.
    public let end: Int?

    public init(alert: String, pair: String?, severity: Severity, summary: String, start: Int, end: Int?) {
        self.alert = alert
        self.pair = pair
        self.severity = severity
        self.summary = summary
        self.start = start
        self.end = end
    }

    /// Whether any part of the period lies in `range` (an open period reaches to the end of time).
    public func overlaps(_ range: ClosedRange<Int>) -> Bool {
        start <= range.upperBound && (end ?? Int.max) >= range.lowerBound
    }
}

extension AlertPeriod {
    /// Pairs the events (in the order they were written) into periods, per alert
    /// identity. The history may miss lines (the oldest rotated away, a line torn
    /// by a crash) or repeat one (a watchdog that crashed after writing a line but
    /// before saving alerts.json sees the same change again), so:
    /// - a firing while the alert's period is open continues it: an escalation, or a
    ///   firing seen twice; the period keeps its start and takes the highest severity;
    /// - a resolved with no open period (its firing rotated away) still makes one,
    ///   from its own `started_at`, unless it repeats the period just closed;
    /// - a period never resolved stays open (`end` nil).
    /// Sorted by start, then alert and pair.
    static func pairing(_ events: [AlertHistoryEvent]) -> [AlertPeriod] {
        struct Open {
            var alert: String
            var pair: String?
            var severity: Severity
            var summary: String
            var start: Int
        }
        var open: [String: Open] = [:]
        var lastClosedStart: [String: Int] = [:]
        var periods: [AlertPeriod] = []
        for event in events {
            let identity = event.identity
            switch event.event {
            case .firing:
                if var period = open[identity] {
                    if event.severity >= period.severity {
                        period.severity = event.severity
                        period.summary = event.summary
                    }
                    open[identity] = period
                } else {
                    open[identity] = Open(alert: event.alert, pair: event.pair, severity: event.severity,
                                          summary: event.summary, start: min(event.startedAt, event.at))
                }
            case .resolved:
                if var period = open.removeValue(forKey: identity) {
                    if event.severity > period.severity {
                        period.severity = event.severity
                        period.summary = event.summary
                    }
                    periods.append(AlertPeriod(alert: period.alert, pair: period.pair, severity: period.severity,
                                               summary: period.summary, start: period.start, end: max(event.at, period.start)))
                    lastClosedStart[identity] = period.start
                } else {
                    let start = min(event.startedAt, event.at)
                    guard lastClosedStart[identity] != start else { continue }
                    periods.append(AlertPeriod(alert: event.alert, pair: event.pair, severity: event.severity,
                                               summary: event.summary, start: start, end: event.at))
                    lastClosedStart[identity] = start
                }
            }
        }
        periods += open.values.map {
            AlertPeriod(alert: $0.alert, pair: $0.pair, severity: $0.severity, summary: $0.summary, start: $0.start, end: nil)
        }
        return periods.sorted { ($0.start, $0.alert, $0.pair ?? "") < ($1.start, $1.alert, $1.pair ?? "") }
    }
}
