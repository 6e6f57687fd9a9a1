extension Array where Element == CChar {
    /// The text a C function wrote into this buffer: up to the first NUL, or all of
    /// it if there is none (a full buffer), as UTF-8 with invalid bytes replaced.
    var textUpToNUL: String {
        String(decoding: prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
