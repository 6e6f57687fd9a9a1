/// Reads one RRD file: from disk, or, when the file is a storage host's (over
/// TCP), only through its daemon (LAST and FETCH, which flushes first). A
/// remote read never falls back to a local file of the same name.
///
/// Blocking, like `RRDFile`: async callers run it on the pool for blocking calls.
public struct RRDReader: Sendable {
    public let file: RRDFile
    /// Set for a remote file only; a local file's daemon (unix socket) is the
    /// caller's to flush.
    public let daemon: RRDCachedClient?

    public init(file: RRDFile, remoteDaemon daemon: RRDCachedClient?) {
        self.file = file
        self.daemon = daemon
    }

    /// The time of the last update.
    public func last() throws -> Int {
        if let daemon { return try daemon.last(file: file) }
        return try file.last()
    }

    /// Rows from `start` to `end`. Over TCP the daemon ignores `resolution` and
    /// answers from the finest archive that covers the range.
    public func fetch(consolidation: String, start: Int, end: Int, resolution: Int) throws -> RRDSeries {
        if let daemon { return try daemon.fetch(file: file, consolidation: consolidation, start: start, end: end) }
        return try file.fetch(consolidation: consolidation, start: start, end: end, resolution: resolution)
    }
}
