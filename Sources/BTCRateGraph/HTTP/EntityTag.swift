import BTCRateCore
#if canImport(Glibc)
import Glibc
#endif

/// Strong, short validators: FNV-1a over a cache key and the build, so that a
/// new build (which may draw the same data differently) never matches a tag
/// an older one handed out.
enum EntityTag {
    /// The running binary's identity: its size and modification time. A rebuild
    /// changes it; reinstalling the same package does not.
    static let build: String = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return "unknown" }
        return "\(info.st_size).\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }()

    /// The quoted tag for a cache key.
    static func of(_ key: String) -> String {
        "\"\(hash(key + "|" + build))\""
    }

    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(value, radix: 16)
    }

    /// Whether an `If-None-Match` header matches `tag`: `*` matches any current
    /// representation, and the comparison is weak (RFC 9110 13.1.2), so
    /// `W/"abc"` matches `"abc"` (a proxy may weaken tags it compresses).
    static func matches(ifNoneMatch header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var value = candidate.trimmedSpaces
            if value == "*" { return true }
            if value.hasPrefix("W/") { value.removeFirst(2) }
            return value == tag
        }
    }
}
