/// The bounds a quote must pass before it is written. Configured per pair
/// (`[validation]` and `[validation.PAIR]` in the config file).
public struct ValidationPolicy: Sendable, Equatable, Codable {
    /// The rate must lie in `minRate...maxRate`.
    public var minRate: Double
    public var maxRate: Double
    /// Seconds a quote may be old (by the source's own timestamp) and still be written.
    public var maxAge: Double
    /// Seconds a quote may claim to be from the future (clock skew allowance).
    public var futureTolerance: Double
    /// Seconds this machine's clock may differ from the source's (its `Date`
    /// header, or its own timestamp when it sends no header) before quotes are refused.
    public var clockTolerance: Double
    /// A change from the last stored value larger than this fraction needs a
    /// second source to confirm it.
    public var maxJump: Double
    /// How close (as a fraction) the confirming source must be.
    public var confirmTolerance: Double
    /// The jump check compares with the last stored value only if it is at most
    /// this many seconds older than the new slot: after a long outage, large moves are normal.
    public var jumpWindow: Double

    public init(minRate: Double = 1000, maxRate: Double = 10_000_000, maxAge: Double = 1800,
                futureTolerance: Double = 120, clockTolerance: Double = 120, maxJump: Double = 0.10,
                confirmTolerance: Double = 0.02, jumpWindow: Double = 3600) {
        self.minRate = minRate
        self.maxRate = maxRate
        self.maxAge = maxAge
        self.futureTolerance = futureTolerance
        self.clockTolerance = clockTolerance
        self.maxJump = maxJump
        self.confirmTolerance = confirmTolerance
        self.jumpWindow = jumpWindow
    }
}
