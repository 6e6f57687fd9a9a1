import FoundationEssentials
import Glibc
import LibSystemd
import Logging

/// Chooses where log lines go, once per process: the journal when systemd
/// connected our output to it, stderr otherwise (a terminal, a container).
/// `BTCRATE_LOG_TARGET=journal|stderr` overrides the choice.
enum LoggingSetup {
    private static let bootstrapped: Bool = {
        let target = ProcessInfo.processInfo.environment["BTCRATE_LOG_TARGET"] ?? "auto"
        let useJournal = target == "journal" || (target == "auto" && Journal.isConnected)
        LoggingSystem.bootstrap { label in
            useJournal ? AnyLogHandler(JournalLogHandler(label: label)) : AnyLogHandler(StderrLogHandler(label: label))
        }
        return useJournal
    }()

    /// A logger for one component (`collector`, `graph`, ...) at the configured level.
    static func logger(_ component: String, level: String) -> Logger {
        _ = bootstrapped
        var logger = Logger(label: component)
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}

/// Type erasure so the bootstrap closure can return either handler.
struct AnyLogHandler: LogHandler {
    private var base: any LogHandler

    init(_ base: any LogHandler) { self.base = base }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) { base.log(event: event) }
}
