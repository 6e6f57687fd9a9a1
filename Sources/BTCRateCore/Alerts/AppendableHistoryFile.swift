import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The current alert history file, open for appending and held under an flock
/// until `close()`: what AlertHistory.append writes through.
///
/// The lock is on the file itself, not on a lock file beside it: a writer that
/// waited for it while another rotated finds that its file is no longer the one
/// at the path, and opens the new one (as Outbox.claim checks its entry).
struct AppendableHistoryFile {
    let path: String
    private(set) var descriptor: Int32
    private(set) var size: Int
    /// False when the file ends in a fragment of a line (a write cut short).
    private(set) var endsWithNewline: Bool

    /// Opens and locks the file now at `path`, creating it 0644 less the umask, as
    /// AtomicFile does (the graph service runs as the same user and reads it). A
    /// file the watchdog creates while running as root in a directory of the
    /// service user is handed to that user, as silences.json is.
    static func openLocked(path: String, directory: String) throws(AtomicFile.WriteError) -> AppendableHistoryFile {
        // Each retry means another writer rotated meanwhile: a few are plenty.
        for _ in 0..<8 {
            // O_RDWR, not O_WRONLY: the last byte is read to see whether a line was cut short.
            var descriptor = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
            if descriptor < 0 && errno == ENOENT {
                descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if descriptor < 0 && errno == EEXIST { continue }
                if descriptor >= 0 { SilenceStore.giveToDirectoryOwner([path], directory: directory) }
            }
            guard descriptor >= 0 else { throw AtomicFile.WriteError(call: "open", path: path, code: errno) }
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    Glibc.close(descriptor)
                    throw AtomicFile.WriteError(call: "flock", path: path, code: code)
                }
            }
            var held = stat(), current = stat()
            guard fstat(descriptor, &held) == 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw AtomicFile.WriteError(call: "fstat", path: path, code: code)
            }
            guard stat(path, &current) == 0, current.st_ino == held.st_ino, current.st_dev == held.st_dev else {
                Glibc.close(descriptor)
                continue
            }
            let size = Int(held.st_size)
            var last: UInt8 = 0x0A
            if size > 0, pread(descriptor, &last, 1, off_t(size - 1)) != 1 { last = 0x0A }
            return AppendableHistoryFile(path: path, descriptor: descriptor, size: size, endsWithNewline: last == 0x0A)
        }
        throw AtomicFile.WriteError(call: "open", path: path, code: EAGAIN)
    }

    /// Appends `data` in one write(2); a short write (a nearly full disk) is
    /// continued, still under the lock, so nothing lands between the parts.
    mutating func write(_ data: Data) throws(AtomicFile.WriteError) {
        let failure = AtomicFile.writeAll(data, to: descriptor, path: path)
        if let failure { throw failure }
        size += data.count
        endsWithNewline = data.last == 0x0A
    }

    func sync() throws(AtomicFile.WriteError) {
        guard fsync(descriptor) == 0 else { throw AtomicFile.WriteError(call: "fsync", path: path, code: errno) }
    }

    /// Moves the full file to `rotated` (replacing the older one) and closes it;
    /// the caller opens the new current file.
    mutating func rotate(to rotated: String) throws(AtomicFile.WriteError) {
        try sync()
        guard rename(path, rotated) == 0 else { throw AtomicFile.WriteError(call: "rename", path: rotated, code: errno) }
        close()
    }

    /// Closing releases the lock.
    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
