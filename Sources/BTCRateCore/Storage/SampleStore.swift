/// Where samples go: the RRD files (through librrd or rrdcached) in production,
/// memory in tests. All methods are blocking calls made off the cooperative pool.
public protocol SampleStore: Sendable {
    /// The last slot written and the rate stored for it, or nil when the pair
    /// has no file yet. With rrdcached, the daemon is flushed first.
    func lastSample(of pair: CurrencyPair) throws(StorageFailure) -> StoredSample?
    /// Creates the pair's file so that the first row may be for `firstSlot`.
    func create(_ pair: CurrencyPair, firstSlot: Slot) throws(StorageFailure)
    /// Appends rows (from `RRDLayout.row`), oldest first, all newer than the last one.
    func append(_ rows: [String], to pair: CurrencyPair) throws(StorageFailure)
}

/// What the store knows of a pair's newest sample.
public struct StoredSample: Sendable, Equatable {
    public let slot: Slot
    public let rate: Double?

    public init(slot: Slot, rate: Double?) {
        self.slot = slot
        self.rate = rate
    }
}

/// A storage call that failed; `message` keeps librrd's words.
public struct StorageFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// librrd refused a row as not newer than the last update (a racing writer).
    public let isNotNewer: Bool
    /// rrdcached did not answer within its deadline; the call was abandoned.
    public let isTimeout: Bool

    public init(_ message: String, isNotNewer: Bool = false, isTimeout: Bool = false) {
        self.message = message
        self.isNotNewer = isNotNewer
        self.isTimeout = isTimeout
    }

    /// The failure class for the journal and the run record.
    public var kind: FetchFailure.Kind { isTimeout ? .storageTimeout : .storageError }

    /// As a failure of a collection run.
    public var asFetchFailure: FetchFailure { FetchFailure(kind, source: nil, detail: message) }

    public var description: String { message }
}
