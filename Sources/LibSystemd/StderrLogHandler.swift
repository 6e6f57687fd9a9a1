import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The fallback when no journal is attached (a terminal, a container, a test):
/// one line per entry on stderr, `LEVEL: message key=value ...`, keys sorted so
/// that lines are stable to read and to grep.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.format(level: event.level, message: "\(event.message)", metadata: merged)
        // One write(2) per line, so lines from several threads never interleave.
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// One entry is one line: a newline inside a message or a value (a source's
    /// error body, say) is written as `\n`, so it can never forge a second entry.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(level.rawValue): \(oneLine(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let text = oneLine("\(value)")
            let needsQuotes = text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            line += " \(key)=" + (needsQuotes ? "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" : text)
        }
        return line
    }

    static func oneLine(_ text: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither.
        guard text.utf8.contains(where: { $0 == 10 || $0 == 13 }) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
