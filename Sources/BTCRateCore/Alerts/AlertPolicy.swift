/// Thresholds and timings of the alert rules (`[alerts]` in the config file).
public struct AlertPolicy: Sendable, Equatable {
    /// RateStale: warning after this many missed slots, critical after that many.
    public var staleWarningSlots = 2
    public var staleCriticalSlots = 6
    /// A slot counts as missed this long after it started (timer accuracy plus run time).
    public var slotGrace = 120
    /// CollectorFailing: runs in a row without a sample.
    public var collectorFailures = 2
    /// PriceMove: a change of at least this fraction within `priceMoveWindow` seconds.
    public var priceMove = 0.05
    public var priceMoveWindow = 3600
    /// PriceAbove / PriceBelow: off when nil.
    public var priceAbove: Double?
    public var priceBelow: Double?
    /// SpreadWide: (ask - bid) / rate at least this.
    public var spread = 0.01
    /// Flatline: this many consecutive samples with the very same value.
    public var flatlineSlots = 6
    /// DiskSpaceLow: warning below this fraction free, critical below half of it.
    public var diskFree = 0.10
    /// ClockJump: a jump larger than this many seconds; the alert stays for `clockJumpHold`.
    public var clockJumpTolerance = 60
    public var clockJumpHold = 600
    /// Hysteresis: a firing ratio alert (PriceMove, SpreadWide) clears only below
    /// (1 - hysteresis) x its threshold; price levels clear `priceHysteresis` inside the line.
    public var hysteresis = 0.2
    public var priceHysteresis = 0.005
    /// How long a condition must hold before it fires (pending until then), per alert.
    public var pendingFor: [AlertName: Int] = [
        .spreadWide: 600, .graphServiceDown: 60, .diskSpaceLow: 300, .fallbackInUse: 0,
        // A machine just booted syncs within minutes; 30 unsynchronised minutes are a fault.
        .clockNotSynchronised: 1800,
    ]
    /// NotificationsFailing: a notification undelivered for longer than this (seconds).
    public var notificationsFailingAfter = 300
    /// A firing alert is notified again after this long.
    public var repeatInterval = 4 * 3600

    public init() {}

    public func pending(_ name: AlertName) -> Int { pendingFor[name] ?? 0 }
}
