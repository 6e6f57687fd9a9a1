import BTCRateCore
import LibRRD

extension Configuration {
    /// The rrdcached client for `storage.rrdcached_address`, each call under
    /// `storage.rrdcached_timeout`; nil when files are written directly. The one
    /// place that builds it, for the collector, the graph service and the watchdog.
    public var rrdcachedClient: RRDCachedClient? {
        rrdcachedAddress.map { RRDCachedClient(address: $0, timeout: rrdcachedTimeout) }
    }
}
