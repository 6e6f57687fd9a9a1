import FoundationEssentials
import Glibc

/// An alert's lifecycle: pending while its condition holds for less than its
/// `for` duration, firing after, resolved when the condition clears. Firing
/// alerts are notified again after the repeat interval. The whole state is
/// Codable, so a restarted watchdog neither forgets nor re-sends a firing alert.
public struct AlertState: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable { case pending, firing }

    public var key: AlertKey
    public var phase: Phase
    public var severity: Severity
    public var summary: String
    public var description: String
    public var value: String?
    public var threshold: String?
    /// When the condition started to hold (Unix seconds).
    public var activeSince: Int
    public var firedAt: Int?
    public var lastNotifiedAt: Int?
    /// When the condition itself began, where the rule knows it (RateStale: the slot
    /// after the newest sample); earlier than `activeSince`, which is when the
    /// watchdog first saw it. Payloads give it as `startsAt`.
    public var startedAt: Int?
    /// True while the sinks are behind on this alert: it fired or changed severity
    /// while silenced or inhibited. When that ends while it still fires, they hear
    /// of it then.
    public var withheld: Bool?
    /// True while the sinks have not heard that it fires at all: if it resolves
    /// before they do, they never hear of it.
    public var unannounced: Bool?
    /// The severity the sinks last heard, while they are behind (`withheld`):
    /// Alertmanager's refresh renews that, so a silence keeps an escalation from it too.
    public var announcedSeverity: Severity?

    public init(key: AlertKey, phase: Phase, severity: Severity, summary: String, description: String,
                value: String?, threshold: String?, activeSince: Int, firedAt: Int?, lastNotifiedAt: Int?,
                startedAt: Int? = nil) {
        self.key = key
        self.phase = phase
        self.severity = severity
        self.summary = summary
        self.description = description
        self.value = value
        self.threshold = threshold
        self.activeSince = activeSince
        self.firedAt = firedAt
        self.lastNotifiedAt = lastNotifiedAt
        self.startedAt = startedAt
    }

    /// `startsAt` in payloads: when the condition began, as well as it is known.
    public var startsAt: Int { startedAt ?? firedAt ?? activeSince }
}

/// A change worth telling someone about. Codable: the outbox keeps each one until
/// every sink has it.
public struct Transition: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case firing, resolved, repeated }

    public let kind: Kind
    public let alert: AlertState
    public let at: Int
    /// Set on a firing transition of an alert that was already firing at another
    /// severity: an escalation or a de-escalation of the same alert.
    public var previousSeverity: Severity?
    /// Why a resolved alert resolved when its condition did not simply clear:
    /// "no longer evaluated (...)" or "its data is missing (...)".
    public var note: String?

    public init(kind: Kind, alert: AlertState, at: Int, previousSeverity: Severity? = nil, note: String? = nil) {
        self.kind = kind
        self.alert = alert
        self.at = at
        self.previousSeverity = previousSeverity
        self.note = note
    }

    /// The state word for journals and payloads: a repeat is still "firing".
    public var stateWord: String { kind == .resolved ? "resolved" : "firing" }

    /// One transition per alert, for changes batched by group_wait: the latest
    /// says where the alert stands, except that a repeat never hides the firing
    /// or escalation the receiver has not heard yet. In the order of each alert's
    /// first change.
    public static func coalesced(_ transitions: [Transition]) -> [Transition] {
        var order: [AlertKey] = []
        var latest: [AlertKey: Transition] = [:]
        for transition in transitions {
            let key = transition.alert.key
            guard let earlier = latest[key] else {
                order.append(key)
                latest[key] = transition
                continue
            }
            if transition.kind == .repeated && earlier.kind != .resolved { continue }
            latest[key] = transition
        }
        return order.compactMap { latest[$0] }
    }
}

/// A transition and whether the sinks get it: a muted one goes to the journal only.
public struct Routed: Sendable, Equatable {
    public let transition: Transition
    public let muted: MuteReason?

    public init(_ transition: Transition, muted: MuteReason? = nil) {
        self.transition = transition
        self.muted = muted
    }
}

public struct AlertEngine: Sendable {
    public private(set) var states: [AlertKey: AlertState]
    let policy: AlertPolicy

    public init(policy: AlertPolicy, states: [AlertKey: AlertState] = [:]) {
        self.policy = policy
        self.states = states
    }

    /// Firing alerts and their severities, for the rules' hysteresis. Pending ones
    /// are left out on purpose: as in Prometheus, `for:` needs the condition itself
    /// true the whole time, and a hysteresis margin would let a wait complete over a
    /// stretch where it was false.
    public var firingSeverities: [AlertKey: Severity] {
        states.filter { $0.value.phase == .firing }.mapValues(\.severity)
    }

    public var firing: [AlertState] {
        states.values.filter { $0.phase == .firing }.sorted { ($0.severity, $1.key) > ($1.severity, $0.key) }
    }

    /// Applies one evaluation's conditions at `now`; returns the transitions to notify,
    /// all at once, so that they can be sent as one group.
    public mutating func apply(_ conditions: [Condition], now: Int) -> [Transition] {
        var transitions: [Transition] = []
        for condition in conditions {
            let key = condition.key
            if condition.active {
                var state = states[key] ?? AlertState(
                    key: key, phase: .pending, severity: condition.severity, summary: condition.summary,
                    description: condition.description, value: condition.value, threshold: condition.threshold,
                    activeSince: now, firedAt: nil, lastNotifiedAt: nil, startedAt: condition.since)
                let previous = state.severity
                state.severity = condition.severity
                state.summary = condition.summary
                state.description = condition.description
                state.value = condition.value
                state.threshold = condition.threshold
                if let since = condition.since { state.startedAt = min(state.startedAt ?? since, since) }
                if state.phase == .pending, now - state.activeSince >= policy.pending(key.name) {
                    state.phase = .firing
                    state.firedAt = now
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .firing, alert: state, at: now))
                } else if state.phase == .firing, condition.severity != previous {
                    // The same alert at another severity, up or down: one identity to
                    // every receiver, never a "resolved" for a condition still true.
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .firing, alert: state, at: now, previousSeverity: previous))
                } else if state.phase == .firing, let last = state.lastNotifiedAt, now - last >= policy.repeatInterval {
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .repeated, alert: state, at: now))
                }
                states[key] = state
            } else if let state = states.removeValue(forKey: key), state.phase == .firing {
                // The resolved entry keeps what was wrong ("2 runs in a row failed
                // (timeout)"): the clear condition's own words ("0 runs ...") say nothing.
                transitions.append(Transition(kind: .resolved, alert: state, at: now, note: condition.note))
            }
        }
        return transitions
    }

    /// Decides, for each transition, whether the sinks get it, and tells the sinks
    /// of alerts that fire still and are no longer muted. Firing and repeats of a
    /// muted alert go to the journal only. A resolved goes to the sinks exactly when
    /// they were told it fired, silenced now or not: a receiver never keeps open an
    /// alert that ended, and never hears the end of one it never heard of.
    public mutating func route(_ transitions: [Transition], muting: Muting, now: Int) -> [Routed] {
        var routed: [Routed] = []
        var seen = Set<AlertKey>()
        for transition in transitions {
            let key = transition.alert.key
            seen.insert(key)
            if transition.kind == .resolved {
                routed.append(Routed(transition, muted: transition.alert.unannounced == true ? .withheldResolution : nil))
                continue
            }
            let reason = muting.reason(for: key, firing: states, now: now)
            if let reason {
                if transition.kind == .firing {
                    if states[key]?.withheld != true { states[key]?.announcedSeverity = transition.previousSeverity }
                    states[key]?.withheld = true
                    if transition.previousSeverity == nil { states[key]?.unannounced = true }
                }
                routed.append(Routed(transition, muted: reason))
            } else if transition.kind == .repeated, states[key]?.withheld == true {
                // Muted until now, and the sinks are behind: a repeat would be
                // their first word of it, so it goes as the firing it is.
                guard var state = states[key] else { continue }
                state.withheld = nil
                state.unannounced = nil
                state.announcedSeverity = state.severity
                states[key] = state
                routed.append(Routed(Transition(kind: .firing, alert: state, at: now, note: "no longer muted")))
            } else {
                states[key]?.withheld = nil
                states[key]?.unannounced = nil
                states[key]?.announcedSeverity = transition.alert.severity
                routed.append(Routed(transition))
            }
        }
        for (key, state) in states.sorted(by: { $0.key < $1.key })
        where state.phase == .firing && state.withheld == true && !seen.contains(key)
            && muting.reason(for: key, firing: states, now: now) == nil {
            var released = state
            released.withheld = nil
            released.unannounced = nil
            released.announcedSeverity = state.severity
            released.lastNotifiedAt = now
            states[key] = released
            routed.append(Routed(Transition(kind: .firing, alert: released, at: now, note: "no longer muted")))
        }
        return routed
    }

    /// What Alertmanager knows fires, as it last heard it: its refresh renews
    /// these, and no news a silence or an inhibition holds back.
    public var announcedFiring: [AlertState] {
        firing.compactMap { state in
            guard state.unannounced != true else { return nil }
            guard state.withheld == true, let severity = state.announcedSeverity else { return state }
            var announced = state
            announced.severity = severity
            return announced
        }
    }

    /// The next time after `now` a pending alert would fire or a firing one repeat,
    /// if no condition changes. Deadlines already passed are left out: their alert
    /// was not re-evaluated (its rule had nothing to judge this time), and waking
    /// for them again at once would only spin the loop.
    public func nextDeadline(after now: Int) -> Int? {
        states.values.compactMap { state in
            state.phase == .pending ? state.activeSince + policy.pending(state.key.name)
                : state.lastNotifiedAt.map { $0 + policy.repeatInterval }
        }.filter { $0 > now }.min()
    }

    /// Ends alerts no rule will evaluate again (a pair removed from the
    /// configuration, a check switched off). A firing one is resolved, with `reason`
    /// as its note, so that no receiver keeps it open forever; a pending one just goes.
    public mutating func retire(where obsolete: (AlertKey) -> String?, now: Int) -> [Transition] {
        var transitions: [Transition] = []
        for (key, state) in states.sorted(by: { $0.key < $1.key }) {
            guard let reason = obsolete(key) else { continue }
            states.removeValue(forKey: key)
            if state.phase == .firing {
                transitions.append(Transition(kind: .resolved, alert: state, at: now, note: "no longer evaluated: \(reason)"))
            }
        }
        return transitions
    }
}

/// `alerts.json` in the state directory: the engine's state, written atomically
/// after every change, read by `btcrate alerts`, the graph page and a restarted watchdog.
public struct AlertStateStore: Sendable {
    public static let fileName = "alerts.json"
    public let path: String

    public init(stateDirectory: String) {
        path = stateDirectory.trimmingTrailingSlashes + "/" + Self.fileName
    }

    struct Document: Codable {
        var version = 1
        var updatedAt: String
        /// When the watchdog last evaluated (Unix seconds): written at every
        /// evaluation, so that `btcrate alerts` can tell a frozen state from a live one.
        var evaluatedAt: Int?
        var alerts: [AlertState]
    }

    /// What `alerts.json` holds: the alerts, and when the watchdog last evaluated them.
    public struct Snapshot: Sendable {
        public let states: [AlertKey: AlertState]
        public let evaluatedAt: Int?
    }

    public func load() -> [AlertKey: AlertState] { snapshot()?.states ?? [:] }

    /// Nil when there is no readable file (the watchdog never ran here).
    public func snapshot() -> Snapshot? {
        guard let data = FileManager.default.contents(atPath: path),
              let document = try? StateFileJSON.decoder.decode(Document.self, from: data) else { return nil }
        return Snapshot(states: Dictionary(document.alerts.map { ($0.key, $0) }, uniquingKeysWith: { $1 }),
                        evaluatedAt: document.evaluatedAt)
    }

    public func save(_ states: [AlertKey: AlertState], now: Int) throws {
        let document = Document(updatedAt: Timestamp.iso8601(now), evaluatedAt: now, alerts: states.values.sorted { $0.key < $1.key })
        var data = try StateFileJSON.encoder.encode(document)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }
}
