import LibRRD

/// With rrdcached, what the graph service knows of each file without making the
/// daemon write it out: the newest update the daemon holds (LAST, asked at most
/// once a second per file), and which of it is on disk. A file is flushed only
/// when a render, an export or a health check needs rows the disk lacks, and at
/// most once every `flushInterval`: never for a cache hit or a 304, so the
/// daemon keeps batching the collector's writes.
actor DaemonFreshness {
    let daemon: RRDCachedClient
    /// The shortest time between two flushes of one file.
    let flushInterval: Duration
    /// How long an answer to LAST is reused.
    let lastReuse: Duration

    private struct FileState {
        var last: (value: Int, at: ContinuousClock.Instant)?
        var asking: Task<Int, any Error>?
        /// The daemon's LAST when the file was last flushed: the disk holds everything up to it.
        var flushedThrough = Int.min
        var flushedAt: ContinuousClock.Instant?
        var flushing: Task<Void, any Error>?
    }

    private var files: [String: FileState] = [:]

    init(daemon: RRDCachedClient, flushInterval: Duration = .seconds(5), lastReuse: Duration = .seconds(1)) {
        self.daemon = daemon
        self.flushInterval = flushInterval
        self.lastReuse = lastReuse
    }

    /// The newest update time the daemon holds for the file, queued rows included.
    func last(_ file: RRDFile) async throws -> Int {
        if let known = files[file.path]?.last, ContinuousClock.now - known.at < lastReuse { return known.value }
        if let asking = files[file.path]?.asking { return try await asking.value }
        let daemon = daemon
        let task = Task { try await daemon.last(file: file) }
        files[file.path, default: FileState()].asking = task
        defer { files[file.path]?.asking = nil }
        let value = try await task.value
        files[file.path, default: FileState()].last = (value, .now)
        return value
    }

    /// Returns once the disk holds the file's rows up to `through` (a LAST
    /// answer), flushing if it does not, but not sooner than `flushInterval`
    /// after the previous flush of the file.
    func ensureOnDisk(_ file: RRDFile, through: Int) async throws {
        while true {
            let state = files[file.path, default: FileState()]
            if state.flushedThrough >= through { return }
            if let flushing = state.flushing {
                try await flushing.value
                continue
            }
            let wait = state.flushedAt.map { $0 + flushInterval - .now } ?? .zero
            let daemon = daemon
            let task = Task {
                if wait > .zero { try await Task.sleep(for: wait) }
                try await daemon.flush(file: file)
            }
            files[file.path, default: FileState()].flushing = task
            do {
                try await task.value
                var flushed = files[file.path, default: FileState()]
                flushed.flushing = nil
                flushed.flushedAt = .now
                flushed.flushedThrough = max(flushed.flushedThrough, through)
                files[file.path] = flushed
                return
            } catch {
                files[file.path]?.flushing = nil
                throw error
            }
        }
    }
}
