import BTCRateCore
import FoundationEssentials
import Glibc
import Logging

/// A reload that names another state directory: the alerts the old directory's
/// watchdog had announced are resolved to every sink ("no longer evaluated: the
/// state directory moved"), since nothing evaluates them there any more; and its
/// undelivered notifications are carried into the new outbox, ahead of those
/// resolutions, so none is stranded where no courier looks.
///
/// The resolutions are recorded in the old directory's alert history, beside those
/// alerts' firings. The old alerts.json is then emptied: moving back later starts
/// afresh instead of resolving the same alerts twice. Nothing else in the old
/// directory is touched.
struct StateHandover {
    let from: String
    let to: String
    let logger: Logger

    func run(notifier: AlertNotifier, now: Int) {
        let carried = carryOutbox(into: notifier.outbox)
        let store = AlertStateStore(stateDirectory: from)
        let firing = store.load().values.filter { $0.phase == .firing }.sorted { $0.key < $1.key }
        let note = "no longer evaluated: the state directory moved from \(from) to \(to)"
        // One the sinks never heard of (it fired muted) is journaled, not sent.
        let resolved = firing.map { state in
            Routed(Transition(kind: .resolved, alert: state, at: now, note: note),
                   muted: state.unannounced == true ? .withheldResolution : nil)
        }
        notifier.notify(resolved)
        // Their periods end in the old directory's history, where they began.
        do {
            try AlertHistory(stateDirectory: from).append(resolved.map(\.transition))
        } catch {
            logger.warning("alert history of \(from) not written: \(error)", metadata: [
                "MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "storage_error",
            ])
        }
        do {
            if !firing.isEmpty { try store.save([:], now: now) }
        } catch {
            logger.warning("\(store.path) not emptied: \(error); moving back to \(from) would resolve its alerts again", metadata: [
                "MESSAGE_ID": "\(AlertJournal.troubleMessageID)", "error_class": "storage_error",
            ])
        }
        logger.notice("state directory moved from \(from) to \(to): \(firing.count) alert(s) resolved as no longer evaluated, \(carried) queued notification(s) carried over")
    }

    /// Moves every queued entry of the old outbox into `outbox`; returns how many.
    private func carryOutbox(into outbox: Outbox) -> Int {
        let old = Outbox(stateDirectory: from)
        var carried = 0
        for sink in old.sinks() {
            for name in old.names(sink: sink) {
                do {
                    try old.move(sink: sink, name: name, to: outbox)
                    carried += 1
                } catch {
                    logger.warning("queued notification \(name) for \(sink) left in \(old.directory): \(error)", metadata: [
                        "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink)", "error_class": "storage_error",
                    ])
                }
            }
        }
        return carried
    }
}
