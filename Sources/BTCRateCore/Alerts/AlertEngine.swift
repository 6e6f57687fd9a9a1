import Foundation

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

    public init(key: AlertKey, phase: Phase, severity: Severity, summary: String, description: String,
                value: String?, threshold: String?, activeSince: Int, firedAt: Int?, lastNotifiedAt: Int?) {
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
    }
}

/// A change worth telling someone about.
public struct Transition: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case firing, resolved, repeated }

    public let kind: Kind
    public let alert: AlertState
    public let at: Int

    public init(kind: Kind, alert: AlertState, at: Int) {
        self.kind = kind
        self.alert = alert
        self.at = at
    }

    /// The state word for journals and payloads: a repeat is still "firing".
    public var stateWord: String { kind == .resolved ? "resolved" : "firing" }
}

public struct AlertEngine: Sendable {
    public private(set) var states: [AlertKey: AlertState]
    let policy: AlertPolicy

    public init(policy: AlertPolicy, states: [AlertKey: AlertState] = [:]) {
        self.policy = policy
        self.states = states
    }

    /// Keys pending or firing, for the rules' hysteresis.
    public var activeKeys: Set<AlertKey> { Set(states.keys) }

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
                    activeSince: now, firedAt: nil, lastNotifiedAt: nil)
                let escalated = state.phase == .firing && condition.severity > state.severity
                state.severity = condition.severity
                state.summary = condition.summary
                state.description = condition.description
                state.value = condition.value
                state.threshold = condition.threshold
                if state.phase == .pending, now - state.activeSince >= policy.pending(key.name) {
                    state.phase = .firing
                    state.firedAt = now
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .firing, alert: state, at: now))
                } else if escalated {
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .firing, alert: state, at: now))
                } else if state.phase == .firing, let last = state.lastNotifiedAt, now - last >= policy.repeatInterval {
                    state.lastNotifiedAt = now
                    transitions.append(Transition(kind: .repeated, alert: state, at: now))
                }
                states[key] = state
            } else if let state = states.removeValue(forKey: key), state.phase == .firing {
                // The resolved entry keeps what was wrong ("2 runs in a row failed
                // (timeout)"): the clear condition's own words ("0 runs ...") say nothing.
                transitions.append(Transition(kind: .resolved, alert: state, at: now))
            }
        }
        return transitions
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

    /// Drops alerts no rule will evaluate again (a pair removed from the
    /// configuration, a check switched off), without notifying: nothing was resolved.
    public mutating func forget(where obsolete: (AlertKey) -> Bool) {
        states = states.filter { !obsolete($0.key) }
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
        var alerts: [AlertState]
    }

    public func load() -> [AlertKey: AlertState] {
        guard let data = FileManager.default.contents(atPath: path),
              let document = try? Self.decoder.decode(Document.self, from: data) else { return [:] }
        return Dictionary(document.alerts.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
    }

    public func save(_ states: [AlertKey: AlertState], now: Int) throws {
        let document = Document(updatedAt: Timestamp.iso8601(now), alerts: states.values.sorted { $0.key < $1.key })
        var data = try Self.encoder.encode(document)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
