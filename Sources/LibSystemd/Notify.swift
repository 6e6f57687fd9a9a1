import CSystemd

/// `sd_notify` messages to the service manager (`READY=1`, `STATUS=...`,
/// `WATCHDOG=1`). Without `$NOTIFY_SOCKET` (a terminal, a container) they are
/// silently not sent, which is what a service outside systemd wants.
public enum ServiceNotifier {
    /// Returns true when the message was delivered.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// The watchdog interval systemd expects pings within (`WatchdogSec=`), if any.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
