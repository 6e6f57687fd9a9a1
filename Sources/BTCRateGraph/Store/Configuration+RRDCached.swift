import BTCRateCore
import LibRRD

extension Configuration {
    /// The rrdcached client for the pair's storage (its `[storage.PAIR]` daemon or
    /// `storage.rrdcached_address`), each call under `storage.rrdcached_timeout`;
    /// nil when the pair's file is written directly. The one place that builds
    /// it, for the collector, the graph service and the watchdog.
    public func rrdcachedClient(for pair: CurrencyPair) -> RRDCachedClient? {
        storage(for: pair).address.map { RRDCachedClient(address: $0, timeout: rrdcachedTimeout) }
    }

    /// The pair's RRD file: a path in the state directory, or over TCP the name
    /// the daemon knows it by (relative to its base directory).
    public func rrdFile(for pair: CurrencyPair) -> RRDFile {
        RRDFile(path: storage(for: pair).path)
    }
}
