import Logging

/// A swift-log handler that writes structured entries to the systemd journal.
///
/// Each metadata key becomes a journal field: `pair` -> `BTCRATE_PAIR`,
/// `error_class` -> `BTCRATE_ERROR_CLASS`. Keys that already are valid upper-case
/// field names (`MESSAGE_ID`) pass through unchanged. So an operator can filter
/// with `journalctl BTCRATE_PAIR=BTC-USD`.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let identifier: String
    private let label: String

    public init(label: String, identifier: String = "btcrate") {
        self.label = label
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "BTCRATE_COMPONENT=\(label)",
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(Journal.fieldName(key, prefix: "BTCRATE_"))=\(value)")
        }
        Journal.send(fields)
    }

    /// syslog priorities, as journalctl -p filters them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
