import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Native journal protocol (`sd_journal_sendv`).
///
/// `sd_journal_sendv` returns 0 even when no journald runs (the datagram is
/// dropped), so a 0 proves nothing: callers pick the journal only when
/// `Journal.isConnected` says this process's output belongs to it.
public enum Journal {
    /// True when systemd started us with stdout or stderr connected to the journal
    /// (`$JOURNAL_STREAM` names the device and inode of that stream), and the
    /// journal socket exists. A person running `btcrate` in a terminal gets
    /// the terminal instead.
    public static var isConnected: Bool {
        guard access("/run/systemd/journal/socket", F_OK) == 0,
              let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// Sends one entry. Fields are `NAME=value` strings; names must be valid
    /// journal field names (`A-Z0-9_`, not starting with `_` or a digit).
    /// Returns the negative errno from libsystemd, or 0.
    @discardableResult
    public static func send(_ fields: [String]) -> Int32 {
        // strdup pins each field in C memory for the duration of the call; an iovec
        // carries its length, so values may hold newlines.
        let pointers = fields.compactMap { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let vectors = pointers.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
    }

    /// Turns a free-form key into a valid journal field name: upper case, anything
    /// outside `A-Z0-9_` becomes `_`, and a leading digit or `_` gets a prefix.
    public static func fieldName(_ key: String, prefix: String) -> String {
        let cleaned = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        let isValidAlready = !cleaned.isEmpty && cleaned == key && !(cleaned.first!.isNumber || cleaned.first == "_")
        let name = isValidAlready ? cleaned : prefix + cleaned
        return String(name.prefix(64))
    }
}
