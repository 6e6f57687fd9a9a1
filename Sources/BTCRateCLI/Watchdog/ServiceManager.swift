import LibSystemd

/// What the watchdog tells its service manager (READY=1, STATUS=, WATCHDOG=1),
/// and the ping interval it expects. Injected into WatchdogService, so tests
/// read the messages from memory instead of setting NOTIFY_SOCKET and
/// WATCHDOG_USEC for the whole process.
protocol ServiceManager: Sendable {
    func notify(_ state: String)
    /// systemd's WatchdogSec=, when it asks for pings.
    var watchdogInterval: Duration? { get }
}

/// The real one: sd_notify over $NOTIFY_SOCKET (nothing is sent outside systemd).
struct Systemd: ServiceManager {
    func notify(_ state: String) { ServiceNotifier.notify(state) }
    var watchdogInterval: Duration? { ServiceNotifier.watchdogInterval }
}
