import BTCRateCore
import BlockingCalls
import Logging

/// Appends each evaluation's transitions to `alert-history.jsonl`, on the pool
/// for blocking calls. The history is for reading back (graph bands, `btcrate
/// alerts history`), not for alerting: an append that fails is journaled and the
/// evaluation goes on. One warning when appends start failing, then info until
/// one works again, which is noted: a full disk does not fill the journal too.
///
/// What it records is the engine's own transitions, before routing: silenced and
/// inhibited alerts are history like any other, and the firing that routing makes
/// when a muting ends ("no longer muted") is news for the sinks only, not a new period.
final class AlertHistoryRecorder: Sendable {
    let history: AlertHistory
    let logger: Logger
    private let failing = LockedValue(false)

    init(history: AlertHistory, logger: Logger) {
        self.history = history
        self.logger = logger
    }

    func record(_ transitions: [Transition]) async {
        guard transitions.contains(where: { $0.kind != .repeated }) else { return }
        let history = self.history
        do {
            try await Blocking.run { try history.append(transitions) }
            if failing.exchange(false) { logger.notice("alert history is written again: \(history.path)") }
        } catch {
            let level: Logger.Level = failing.exchange(true) ? .info : .warning
            logger.log(level: level, "alert history not written: \(error); alerting goes on, btcrate alerts history and the graph miss these changes", metadata: [
                "MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "storage_error",
            ])
        }
    }
}
