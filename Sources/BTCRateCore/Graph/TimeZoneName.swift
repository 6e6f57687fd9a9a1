#if canImport(Glibc)
import Glibc
#endif

/// A time zone a graph may be drawn in (`tz=Europe/Paris`): the name of a
/// compiled zone file under the system's zoneinfo, and nothing else.
///
/// The name becomes a render worker's `TZ`, which glibc reads as a path below
/// its zoneinfo directory. So the name is checked as text first (letters,
/// digits, `_`, `-`, `+`, at most three parts, none of them `.` or `..`), and
/// only then looked up: a name that passes is always the file it seems to be.
public struct TimeZoneName: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let name: String
    public var description: String { name }

    public static let utc = TimeZoneName(checked: "UTC")

    /// Where zone names are looked up.
    public struct Directory: Sendable {
        public let path: String
        public static let system = Directory(path: "/usr/share/zoneinfo")
        public init(path: String) { self.path = path }

        /// Whether `name` is a zone file: a regular file that starts with TZif.
        /// (Debian links many names, Asia/Calcutta to Asia/Kolkata: links are
        /// followed, after the text check has kept the name inside `path`.)
        func holdsZone(_ name: String) -> Bool {
            let descriptor = open("\(path)/\(name)", O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            return Self.isZoneFile(descriptor)
        }

        private static func isZoneFile(_ descriptor: Int32) -> Bool {
            var info = stat()
            guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
            var magic = [UInt8](repeating: 0, count: 4)
            let count = magic.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4) }
            return count == 4 && magic == Array("TZif".utf8)
        }
    }

    /// The zone `text` names, if it is well formed and exists in `directory`.
    /// `UTC` is always accepted: glibc knows it without a file.
    public init?(_ text: String, in directory: Directory = .system) {
        if text == "UTC" {
            self = .utc
            return
        }
        guard Self.isWellFormed(text), directory.holdsZone(text) else { return nil }
        name = text
    }

    private init(checked name: String) { self.name = name }

    static func isWellFormed(_ text: String) -> Bool {
        guard (1...64).contains(text.utf8.count) else { return false }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 3 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.first, first.isASCII, first.isLetter else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-+".contains($0)) }
        }
    }
}
