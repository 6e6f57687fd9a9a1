/// A NULL-terminated array of C strings built from Swift strings, for librrd's
/// argv-style calls. librrd 1.7.2 declares some of them `char **` and others
/// `const char **`, so both views are offered. The strings live as long as this value.
final class CStringArray {
    private var storage: [UnsafeMutablePointer<CChar>?]
    /// Kept apart from `storage`: reading the array while a `with...` call holds it
    /// for mutation would be an exclusivity violation.
    let count: Int32

    init(_ strings: [String]) {
        storage = strings.map { strdup($0) }
        storage.append(nil)
        count = Int32(strings.count)
    }

    deinit {
        for pointer in storage { free(pointer) }
    }

    func withMutable<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }

    func withConst<R>(_ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                try body($0)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
