import ArgumentParser

/// Exit statuses, from sysexits(3) where one fits, so that systemd, scripts and
/// people read the same meaning. Documented in README, "Exit codes".
public enum ExitStatus {
    /// Every pair has a sample for the current slot (written now or before).
    public static let success: Int32 = 0
    /// Invalid command line (ArgumentParser's own code).
    public static let usage: Int32 = 64
    /// `rewind`: the pair has no RRD file.
    public static let noInput: Int32 = 66
    /// At least one pair got no sample: no source gave a usable quote (or the
    /// clock disagrees: clock_skew, clock_behind).
    public static let noSample: Int32 = 69
    /// An RRD file or the state directory could not be written, or rrdcached did
    /// not answer in time (storage_error, storage_timeout).
    public static let storage: Int32 = 73
    /// Another collection run holds the lock: try again later.
    public static let busy: Int32 = 75
    /// The configuration (file, environment or key) is invalid.
    public static let config: Int32 = 78

    static func exit(_ code: Int32) -> ExitCode { ExitCode(code) }
}
