import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a small file atomically: temporary file, fsync, rename, fsync of the
/// directory. A crash leaves the old content or the new, never a torn file.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let call: String
        public let path: String
        public let code: Int32
        public var description: String { "\(call)(\(path)): \(String(cString: strerror(code)))" }
    }

    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw WriteError(call: "open", path: temporary, code: errno) }
        var failure = writeAll(data, to: descriptor, path: temporary)
        if failure == nil, fsync(descriptor) != 0 { failure = WriteError(call: "fsync", path: temporary, code: errno) }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw WriteError(call: "rename", path: path, code: code)
        }
        let directory = open(Paths.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Writes all of `data` to `descriptor`, continuing after short writes and
    /// EINTR; the failure, if any (`path` names the file in it).
    static func writeAll(_ data: Data, to descriptor: Int32, path: String) -> WriteError? {
        data.withUnsafeBytes { bytes -> WriteError? in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return WriteError(call: "write", path: path, code: errno)
                }
                offset += written
            }
            return nil
        }
    }
}
