import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Glibc
import Logging

/// What every command needs: the configuration, the API key (if any) and a
/// logger, loaded once and checked before any work starts.
struct AppContext {
    let configuration: Configuration
    let apiKey: APIKeyLoader.Found?
    let logger: Logger

    /// Loads everything or prints one clear message and exits with `ExitStatus.config`.
    static func load(configPath: String?, component: String) throws -> AppContext {
        switch attempt(configPath: configPath, component: component) {
        case .success(let context):
            // As systemd does for services (IgnoreSIGPIPE=yes), and outside it too (a
            // container, a terminal): a reader of stdout or stderr that went away is a
            // failed write (EPIPE), never a death in the middle of a run. It used to
            // come with libcurl's set-up, which now waits for the first request.
            signal(SIGPIPE, SIG_IGN)
            // The collector (collect, backfill, run) holds a thread per transfer in flight;
            // the graph service and the watchdog need only a few for file reads and D-Bus.
            let collecting: Set<String> = ["collector", "backfill"]
            Blocking.configure(threads: (collecting.contains(component) ? context.configuration.concurrency : 0) + Blocking.defaultThreads)
            return context
        case .failure(let error):
            let logger = LoggingSetup.logger(component, level: "info")
            logger.error("configuration error: \(error.message)", metadata: ["error_class": "config"])
            throw ExitStatus.exit(ExitStatus.config)
        }
    }

    /// Loads everything, or says what is wrong; for a reload, which must not exit.
    static func attempt(configPath: String?, component: String) -> Result<AppContext, ConfigError> {
        let environment = ProcessInfo.processInfo.environment
        do throws(ConfigError) {
            let configuration = try ConfigLoader().load(path: configPath, environment: environment)
            // Only the collector (collect, run) and `config` use the key. The graph service
            // and the watchdog never read it, so a root-only key file cannot stop them.
            let key = Self.componentsUsingTheKey.contains(component)
                ? try APIKeyLoader().load(keyFile: configuration.alphaVantageKeyFile, environment: environment) : nil
            let logger = LoggingSetup.logger(component, level: configuration.logLevel)
            return .success(AppContext(configuration: configuration, apiKey: key, logger: logger))
        } catch {
            return .failure(error)
        }
    }

    static let componentsUsingTheKey: Set<String> = ["collector", "config"]

    /// The same configuration and key, logging as another component (`btcrate run`).
    func named(_ component: String) -> AppContext {
        AppContext(configuration: configuration, apiKey: apiKey, logger: LoggingSetup.logger(component, level: configuration.logLevel))
    }

    /// FileManager's error in a sentence: the system's words for its errno, when it has one.
    static func reason(_ error: any Error) -> String {
        if let posix = (error as? CocoaError)?.underlying as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        return "\(error)"
    }

    /// Makes sure the state directory exists (mode 0750) before anything is written.
    func prepareStateDirectory() throws {
        let path = configuration.stateDirectory
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            logger.error("state directory \(path) cannot be created: \(Self.reason(error))",
                         metadata: ["error_class": "storage_error"])
            throw ExitStatus.exit(ExitStatus.storage)
        }
        guard access(path, W_OK) == 0 else {
            logger.error("state directory \(path) is not writable by this user", metadata: ["error_class": "storage_error"])
            throw ExitStatus.exit(ExitStatus.storage)
        }
    }

    var http: any HTTPFetching { CurlFetcher(configuration: configuration) }

    /// Live sources in the configured order. Alpha Vantage is left out when no
    /// key is configured: asking it without one would only burn a request.
    func liveSources(clock: any WallClock) -> [any PriceSource] {
        let http = self.http
        return configuration.sources.compactMap { id -> (any PriceSource)? in
            switch id {
            case .alphavantage:
                apiKey.map { AlphaVantageSource(baseURL: configuration.alphaVantageURL, apiKey: $0.key, http: http) }
            case .coinbase: CoinbaseSource(baseURL: configuration.coinbaseURL, http: http)
            case .kraken: KrakenSource(baseURL: configuration.krakenURL, http: http, clock: clock)
            case .bitstamp: BitstampSource(baseURL: configuration.bitstampURL, http: http)
            }
        }
    }

    var historySource: any HistorySource { BitstampSource(baseURL: configuration.bitstampURL, http: http) }

    var store: any SampleStore { RRDSampleStore(configuration: configuration) }

    var keylessOnly: Bool { apiKey == nil && configuration.sources.contains(.alphavantage) }
}
