import CCurl

/// Where libcurl comes from: not linked, but opened with dlopen by the first
/// `CurlHTTPClient` or `CurlMailer` of a process (see Sources/CCurl/include/CCurl.h).
public enum CurlLibrary {
    /// Why the named library cannot serve btcrate (it is missing, or lacks a
    /// function btcrate calls), or nil when it can. Once one load succeeded, the
    /// process keeps using that one; a failed probe changes nothing.
    public static func problem(loading file: String = "libcurl.so.4") -> String? {
        reason { CCurl_load_named(file, $0, $1) }
    }

    /// The process's own load: done once, then answered at once.
    static func problemLoadingOnce() -> String? {
        reason { CCurl_load($0, $1) }
    }

    private static func reason(_ load: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        guard buffer.withUnsafeMutableBufferPointer({ load($0.baseAddress!, $0.count) }) != 0 else { return nil }
        return buffer.textUpToNUL
    }
}
