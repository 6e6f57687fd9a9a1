import CRRD
#if canImport(Glibc)
import Glibc
#endif

/// A librrd call that failed, with librrd's own message kept verbatim.
///
/// librrd reports errors through a per-thread buffer (`rrd_get_error`), so the
/// message must be read on the same thread, right after the call; see
/// `withRRDErrorContext`.
public struct RRDError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The librrd function that failed, e.g. `rrd_update_r`.
    public let call: String
    /// The RRD file the call was about, when there is one.
    public let path: String?
    /// librrd's message, unchanged (or `strerror(errno)` when librrd gave none).
    public let message: String
    /// `errno` as the call left it (0 when it did not set one): lets callers tell a
    /// full disk (ENOSPC) from other failures without parsing librrd's words.
    public let code: Int32
    /// The call did not finish within its deadline (a hung rrdcached); it was abandoned.
    public let timedOut: Bool

    public init(call: String, path: String?, message: String, code: Int32 = 0, timedOut: Bool = false) {
        self.call = call
        self.path = path
        self.message = message
        self.code = code
        self.timedOut = timedOut
    }

    public var description: String {
        if let path { return "\(call)(\(path)): \(message)" }
        return "\(call): \(message)"
    }

    /// librrd's wording when an update is not newer than the file's last update.
    /// Timer catch-up runs and manual re-runs produce it; callers treat it as a no-op.
    public var isNotNewerThanLastUpdate: Bool {
        message.contains("illegal attempt to update using time")
    }

    /// rrdcached failed the call, or could not be reached: the storage, not the
    /// request, is at fault (a render whose DEF names a daemon says so in words).
    public var isDaemonFailure: Bool {
        timedOut || call.hasPrefix("rrdc_") || message.contains("rrdcached")
    }

    /// The file is not there (locally, or on the daemon over TCP).
    public var isNoSuchFile: Bool {
        code == ENOENT || message.contains("No such file")
    }

    /// The daemon refused to create a file that exists (CREATE with no_overwrite).
    public var isAlreadyThere: Bool {
        code == EEXIST || message.contains("File exists")
    }

    /// The disk or its inode table is full (ENOSPC, or EDQUOT for a quota), whether
    /// librrd said so in words or only through errno.
    public var isOutOfSpace: Bool {
        code == ENOSPC || code == EDQUOT || message.contains(String(cString: strerror(ENOSPC)))
    }
}

/// Runs one librrd call with a clean error context and turns a failure into `RRDError`.
///
/// Synchronous on purpose: the error buffer is per thread, and an `await` between
/// the call and `rrd_get_error` could move the task to another thread.
///
/// Some failures leave librrd's buffer empty (`rrd_create_r` on a full disk does):
/// then `errno` is the only witness, so it is cleared before the call and, if set
/// after it, put into words.
@inline(__always)
func withRRDErrorContext<T>(call: String, path: String?, _ body: () -> T?, failed: (T) -> Bool = { _ in false }) throws -> T {
    rrd_clear_error()
    errno = 0
    let result = body()
    let code = errno
    if let result, !failed(result) {
        return result
    }
    let text = rrd_get_error().map { String(cString: $0) } ?? ""
    rrd_clear_error()
    let message = !text.isEmpty ? text : code != 0 ? String(cString: strerror(code)) : "failed without a message"
    throw RRDError(call: call, path: path, message: message, code: code)
}
