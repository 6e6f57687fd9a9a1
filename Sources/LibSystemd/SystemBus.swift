import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Read-only questions to systemd over the system D-Bus (sd-bus): the state of
/// units, and whether the clock is synchronised. Property reads need no
/// privileges. One connection, one thread at a time. Every call has a deadline,
/// `callTimeout` (sd-bus's own default, 25 s, is longer than a watchdog
/// evaluation may take): a hung systemd or dbus-daemon costs seconds, not the loop.
public final class SystemBus: @unchecked Sendable {
    private var bus: OpaquePointer?

    /// Fails (returns nil) when there is no system bus: no systemd, a container, a test.
    public init?(callTimeout: Double = 3) {
        var connection: OpaquePointer?
        guard sd_bus_open_system(&connection) >= 0, let connection else { return nil }
        sd_bus_set_method_call_timeout(connection, UInt64(callTimeout * 1_000_000))
        bus = connection
    }

    deinit {
        sd_bus_flush_close_unref(bus)
    }

    public struct UnitState: Sendable, Equatable {
        public let loadState: String
        public let activeState: String
        /// A service's or timer's Result (success, exit-code, watchdog, ...).
        public let result: String?
        /// A service's main process's last exit status (`ExecMainStatus`).
        public let exitStatus: Int32?

        public init(loadState: String, activeState: String, result: String?, exitStatus: Int32? = nil) {
            self.loadState = loadState
            self.activeState = activeState
            self.result = result
            self.exitStatus = exitStatus
        }
    }

    /// `LoadState`, `ActiveState` and `Result` of a unit. Reading a unit's object
    /// loads it, so a missing unit answers `not-found` rather than an error.
    public func unit(_ name: String) throws -> UnitState {
        var encoded: UnsafeMutablePointer<CChar>?
        let status = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &encoded)
        guard status >= 0, let encoded else { throw BusError(call: "sd_bus_path_encode", code: status, name: nil) }
        defer { free(encoded) }
        let path = String(cString: encoded)
        let load = try property(path, "org.freedesktop.systemd1.Unit", "LoadState")
        let active = try property(path, "org.freedesktop.systemd1.Unit", "ActiveState")
        let interface = name.hasSuffix(".timer") ? "org.freedesktop.systemd1.Timer" : "org.freedesktop.systemd1.Service"
        let result = load == "loaded" ? try? property(path, interface, "Result") : nil
        let exitStatus = load == "loaded" && !name.hasSuffix(".timer") ? try? int32Property(path, interface, "ExecMainStatus") : nil
        return UnitState(loadState: load, activeState: active, result: result, exitStatus: exitStatus)
    }

    /// systemd-timedated's `NTPSynchronized`: whether the kernel says the clock is
    /// synchronised. Asking starts timedated on demand (bus activation).
    public func clockSynchronised() throws -> Bool {
        try int32Property("/org/freedesktop/timedate1", "org.freedesktop.timedate1", "NTPSynchronized",
                          destination: "org.freedesktop.timedate1", type: "b") != 0
    }

    /// A D-Bus boolean is an int on the wire and in sd-bus, so one reader serves "i" and "b".
    private func int32Property(_ path: String, _ interface: String, _ member: String,
                               destination: String = "org.freedesktop.systemd1", type: Character = "i") throws -> Int32 {
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var value: Int32 = 0
        let status = sd_bus_get_property_trivial(bus, destination, path, interface, member, &error,
                                                 CChar(type.asciiValue!), &value)
        guard status >= 0 else {
            throw BusError(call: "sd_bus_get_property_trivial(\(member))", code: status, name: error.name.map { String(cString: $0) })
        }
        return value
    }

    private func property(_ path: String, _ interface: String, _ member: String) throws -> String {
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var value: UnsafeMutablePointer<CChar>?
        let status = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, interface, member, &error, &value)
        guard status >= 0, let value else {
            throw BusError(call: "sd_bus_get_property_string(\(member))", code: status, name: error.name.map { String(cString: $0) })
        }
        defer { free(value) }
        return String(cString: value)
    }

    public struct BusError: Error, CustomStringConvertible {
        public let call: String
        public let code: Int32
        public let name: String?
        public var description: String { "\(call): \(name ?? String(cString: strerror(-code)))" }
    }
}
