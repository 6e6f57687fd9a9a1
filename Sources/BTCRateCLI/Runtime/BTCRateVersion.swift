/// The version printed by `btcrate --version`, sent in the User-Agent, and
/// stamped into the .deb. packaging/build-deb reads it from here.
public enum BTCRateVersion {
    public static let current = "0.1.0"
}
