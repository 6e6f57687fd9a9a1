import CRRD
#if canImport(Glibc)
import Glibc
#endif

extension RRDFile {
    /// Rebuilds the file so that it ends at `lastUpdate`: every archive keeps its
    /// rows up to that time, rows after it become unknown, and the next update may
    /// be for any time after it. This is how samples written into future slots
    /// (a clock that was ahead) are taken out again.
    ///
    /// librrd's `rrd_create_r2` does the work: the file is its own template (same
    /// step, data sources and archives) and its own source (rows are copied, and
    /// the hourly and daily rows in progress are re-consolidated from it), with the
    /// new file's last update at `lastUpdate`, so nothing after it is copied.
    /// The copy is written under a temporary name, given the original's owner and
    /// mode, synced, and renamed over the original: readers see the old file or the
    /// new one, and a process killed on the way leaves the original untouched
    /// (and a `*.creating-*` file that the next run removes).
    public func rewind(to lastUpdate: Int) throws {
        let temporary = "\(path).creating-rewind-\(getpid())"
        unlink(temporary)
        var original = stat()
        guard stat(path, &original) == 0 else {
            throw RRDError(call: "stat", path: path, message: String(cString: strerror(errno)), code: errno)
        }
        let step = try info()["step"]?.doubleValue.map { UInt($0) } ?? 0
        do {
            let sources = CStringArray([path])
            let noDefinitions = CStringArray([])
            _ = try withRRDErrorContext(call: "rrd_create_r2", path: path, {
                sources.withConst { sourceList in
                    noDefinitions.withConst { argv in
                        rrd_create_r2(temporary, step, time_t(lastUpdate), 1, sourceList, path, 0, argv)
                    }
                }
            }, failed: { $0 != 0 })
            // Root may run this for a file the service user owns: keep it theirs.
            if chown(temporary, original.st_uid, original.st_gid) != 0, errno != EPERM {
                throw RRDError(call: "chown", path: temporary, message: String(cString: strerror(errno)), code: errno)
            }
            if chmod(temporary, original.st_mode & 0o7777) != 0 {
                throw RRDError(call: "chmod", path: temporary, message: String(cString: strerror(errno)), code: errno)
            }
            try Self.sync(temporary)
            if rename(temporary, path) != 0 {
                throw RRDError(call: "rename", path: path, message: String(cString: strerror(errno)), code: errno)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename itself is durable only once the directory is synced.
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        try? Self.sync(directory.isEmpty ? "." : directory)
    }

    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RRDError(call: "open", path: path, message: String(cString: strerror(errno)), code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw RRDError(call: "fsync", path: path, message: String(cString: strerror(errno)), code: errno)
        }
    }
}
