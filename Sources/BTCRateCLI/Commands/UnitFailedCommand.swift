import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc
import LibSystemd
import Logging

/// `btcrate unit-failed UNIT`: run by btcrate-unit-failed@.service, which every
/// btcrate unit names in OnFailure=. A unit that systemd gave up restarting (the
/// watchdog itself among them) is then never silent: a critical journal entry,
/// and a UnitFailed notice through every configured sink, sent now or, if a
/// sink is down, left in the outbox for the watchdog to retry.
struct UnitFailedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit-failed",
        abstract: "Report a failed btcrate unit (run by btcrate-unit-failed@.service).",
        discussion: """
            Journals a critical entry naming the unit (MESSAGE_ID \(messageID), BTCRATE_UNIT_FAILED=<unit>) and \
            sends a UnitFailed alert through every configured sink, with notify.retries immediate retries; \
            what still fails stays in <state directory>/outbox for the watchdog. A collector run that \
            merely got no sample (exit 69) is CollectorFailing's business and is only noted. \
            Exit codes: 0 reported (or nothing to report); 1 a sink failed (the notice is queued); 78 configuration error.
            """
    )

    static let messageID = "e0b5c2d84a7f4f61b3a9d7c1f5e8a240"

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("The unit that failed, as systemd's %i gives it.", valueName: "unit"))
    var unit: String

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "unit-failed")
        let logger = context.logger
        let state = try? SystemBus()?.unit(unit)
        if unit == "btcrate-collector.service", state?.result == "exit-code", state?.exitStatus == 69 {
            logger.info("\(unit) failed with exit 69 (no sample this slot): CollectorFailing reports that, not UnitFailed")
            return
        }
        let result = state?.result.map { ", result \($0)" } ?? ""
        // Started by hand (or the unit was restarted since), systemd may show it running again: say so.
        let summary = state == nil || state?.activeState == "failed"
            ? "\(unit) failed and systemd will not restart it\(result)"
            : "\(unit) was reported failed; systemd now shows it \(state?.activeState ?? "-")\(result)"
        logger.critical("\(summary)", metadata: ["MESSAGE_ID": "\(Self.messageID)", "unit_failed": "\(unit)",
                                                 "alert": "\(AlertName.unitFailed.rawValue)", "severity": "critical"])
        let now = Int(Date().timeIntervalSince1970)
        let alert = AlertState(
            key: AlertKey(.unitFailed), phase: .firing, severity: .critical, summary: summary,
            description: "Reported by OnFailure= the moment the unit failed. Next step: systemctl status \(unit); journalctl -u \(unit) -p warning; then systemctl reset-failed \(unit) and start it.",
            value: unit, threshold: nil, activeSince: now, firedAt: now, lastNotifiedAt: now)
        let group = [Transition(kind: .firing, alert: alert, at: now)]
        let notifier = AlertNotifier(configuration: context.configuration, smtpPassword: try SecretFiles.smtpPassword(context), logger: logger)
        var failed = false
        for sink in notifier.sinks {
            guard let error = await sink.deliverWithRetries(group, payloads: notifier.payloads, retries: notifier.retries, delay: notifier.retryDelay) else {
                continue
            }
            failed = true
            do {
                try notifier.outbox.enqueue(group, sink: sink.name, now: Date().timeIntervalSince1970)
                logger.warning("UnitFailed notice to \(sink.name) failed (\(error)); queued in the outbox for the watchdog",
                               metadata: ["MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "error_class": "delivery_failed"])
            } catch let queueError {
                logger.error("UnitFailed notice to \(sink.name) failed (\(error)) and could not be queued: \(queueError)",
                             metadata: ["MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "error_class": "delivery_failed"])
            }
        }
        if failed { throw ExitCode(1) }
    }
}
