import Foundation

/// A file under /proc, read to its end. procfs files say they are empty, and a
/// read sized by that stops early (a long /proc/PID/maps came back cut).
public enum ProcFile {
    public static func text(_ path: String) -> String {
        guard let file = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? file.close() }
        return String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
    }
}
