import BTCRateCore
import Logging

/// How alert entries look in the journal: one MESSAGE_ID per alert name (each
/// with its entry in packaging/btcrate.catalog: the cause and the next step,
/// under `journalctl -x`), and a priority that says what the entry is.
enum AlertJournal {
    /// The watchdog's own troubles other than delivery: an unsaved state file, no
    /// inotify, an unreadable silences file, a configuration that was not reloaded.
    static let troubleMessageID = "3567fbb6970a46e4a192a492526c18bb"

    static func messageID(_ name: AlertName) -> String {
        switch name {
        case .rateStale: "af415d46df864a7aa1bb76772240be49"
        case .collectorFailing: "6c98c2d949d84b74bda0fb810afa4897"
        case .quotaExhausted: "1f4e19773cd5432ba3dd79de17bf6a7b"
        case .fallbackInUse: "638f83629964457ea6b2912628cdc8a7"
        case .graphServiceDown: "dba452a8cc9f422aa6fd4c06c08d8dc5"
        case .storageError: "efa7eccde11d495692c6d70b7bc5eb6b"
        case .diskSpaceLow: "51aa0a4b39784ba483f8436d33fb30e2"
        case .clockJump: "767c7d8cf5d64663bd29ceac448d45fc"
        case .clockSkew: "212b3de35a564df08708e3a597fd0e7a"
        case .clockNotSynchronised: "87ca58fcbede44f28607ffc9510fe045"
        case .unitFailed: "1fecef38d9e24d99a5603e8f3a6bada6"
        case .notificationsFailing: "95349d806c6e4b5dbb7762a6ba885857"
        case .btcrateTest: "d48b616a2d8d4b019014f2a6a87c6e46"
        case .priceMove: "0a1f07be66b049aa94f380bd40f04b23"
        case .priceAbove: "9a5566417c37460bb137fe999deb43c0"
        case .priceBelow: "e7a569ba8fc44bf08f737f5e5727ffbe"
        case .spreadWide: "f428fde13f57441fbfe69a1ee4772f78"
        case .flatline: "c830288372484eeaae968778b2358653"
        }
    }

    /// A firing or an escalation carries the alert's own priority (critical ->
    /// crit, warning -> warning, info -> info), so `journalctl -p warning` shows
    /// exactly the warning and critical alerts as they start or change severity.
    /// What is no news for a pager is below warning: a repeat and a resolved are
    /// notice, a muted entry (silenced, inhibited) is info.
    static func level(_ transition: Transition, muted: Bool) -> Logger.Level {
        if muted { return .info }
        switch transition.kind {
        case .resolved, .repeated: return .notice
        case .firing:
            switch transition.alert.severity {
            case .critical: return .critical
            case .warning: return .warning
            case .info: return .info
            }
        }
    }
}
