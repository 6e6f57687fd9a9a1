/// Why an alert's news is kept from the sinks for now. It still goes to the
/// journal, and `btcrate alerts` still lists it, marked.
public enum MuteReason: Sendable, Equatable, CustomStringConvertible {
    case silenced(id: String)
    /// A cause that is firing, whose symptom this alert is.
    case inhibited(by: AlertKey)
    /// A resolved whose firing the sinks never heard (it fired muted).
    case withheldResolution

    public var description: String {
        switch self {
        case .silenced(let id): "silenced by \(id)"
        case .inhibited(let cause): "inhibited by \(cause)"
        case .withheldResolution: "its firing was muted, so the sinks never heard of it"
        }
    }
}

/// The silences in force and the inhibition rules, as Alertmanager applies its
/// `inhibit_rules`: while a cause fires, its symptoms reach the journal only.
public struct Muting: Sendable {
    public let silences: [Silence]

    public init(silences: [Silence] = []) {
        self.silences = silences
    }

    /// The reason `key` is muted at `now`, given what fires, or nil.
    /// An inhibition is named before a silence: it says more about the cause.
    public func reason(for key: AlertKey, firing: [AlertKey: AlertState], now: Int) -> MuteReason? {
        if let cause = Self.inhibitor(of: key, firing: firing) { return .inhibited(by: cause) }
        if let silence = silences.first(where: { $0.isActive(at: now) && $0.matches(key) }) { return .silenced(id: silence.id) }
        return nil
    }

    /// The symptoms: a pair that gets no sample because its file cannot be written
    /// (StorageError), because the collector distrusts the clock (ClockSkew) or
    /// because the timer does not run (UnitFailed naming btcrate-collector.timer)
    /// is stale and failing; one page says why.
    static let symptoms: Set<AlertName> = [.rateStale, .collectorFailing]

    static func inhibitor(of key: AlertKey, firing: [AlertKey: AlertState]) -> AlertKey? {
        guard symptoms.contains(key.name) else { return nil }
        for cause in [AlertKey(.storageError, pair: key.pair), AlertKey(.clockSkew, pair: key.pair)]
        where firing[cause]?.phase == .firing {
            return cause
        }
        let units = AlertKey(.unitFailed)
        if let state = firing[units], state.phase == .firing,
           (state.value ?? "").split(separator: ",").contains("btcrate-collector.timer") {
            return units
        }
        return nil
    }

    /// When the next silence ends: the watchdog wakes then, to tell the sinks of
    /// what still fires.
    public func nextEnd(after now: Int) -> Int? {
        silences.filter { $0.isActive(at: now) }.map(\.endsAt).min()
    }
}
