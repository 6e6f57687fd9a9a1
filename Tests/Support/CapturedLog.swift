import Foundation
import Logging

/// A swift-log handler that keeps every line (message and metadata) in memory,
/// so tests can assert on what an operator would read, and on what must never appear.
public final class CapturedLog: @unchecked Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]

        /// The whole line as one string, for "never contains" checks.
        public var text: String { "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ") }
    }

    private let lock = NSLock()
    private var stored: [Line] = []

    public init() {}

    public var lines: [Line] { lock.withLock { stored } }
    public var allText: String { lines.map(\.text).joined(separator: "\n") }

    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(sink: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: Line) { lock.withLock { stored.append(line) } }

    struct Handler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append(Line(level: event.level, message: "\(event.message)",
                             metadata: merged.mapValues { "\($0)" }))
        }
    }
}
