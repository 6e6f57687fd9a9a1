import CRRD

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
    /// librrd's message, unchanged.
    public let message: String

    public init(call: String, path: String?, message: String) {
        self.call = call
        self.path = path
        self.message = message
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
}

/// Runs one librrd call with a clean error context and turns a failure into `RRDError`.
///
/// Synchronous on purpose: the error buffer is per thread, and an `await` between
/// the call and `rrd_get_error` could move the task to another thread.
@inline(__always)
func withRRDErrorContext<T>(call: String, path: String?, _ body: () -> T?, failed: (T) -> Bool = { _ in false }) throws -> T {
    rrd_clear_error()
    let result = body()
    if let result, !failed(result) {
        return result
    }
    let text = rrd_get_error().map { String(cString: $0) } ?? ""
    rrd_clear_error()
    throw RRDError(call: call, path: path, message: text.isEmpty ? "failed without a message" : text)
}
