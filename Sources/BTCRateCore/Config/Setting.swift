/// One configuration key: where it lives in the file, which environment variable
/// overrides it, its default, its help text, and how its value is applied.
///
/// `Setting.all` is the single list that the loader, `btcrate config`, the
/// example file and the README's reference are checked against.
public struct Setting: Sendable {
    public let section: String
    public let key: String
    public let environment: String
    public let defaultText: String
    public let help: String
    let apply: @Sendable (inout Configuration, String) throws(ConfigError) -> Void

    public var name: String { "\(section).\(key)" }
}

extension Setting {
    public static let all: [Setting] = [
        Setting(section: "storage", key: "state_directory", environment: "BTCRATE_STATE_DIRECTORY",
                defaultText: "/var/lib/btcrate", help: "Directory of the RRD files and the run record.") { config, value throws(ConfigError) in
            guard value.hasPrefix("/") else { throw ConfigError("must be an absolute path") }
            config.stateDirectory = value
        },
        Setting(section: "storage", key: "rrdcached_address", environment: "BTCRATE_RRDCACHED_ADDRESS",
                defaultText: "", help: "rrdcached address (unix:/run/rrdcached.sock or host:port); empty writes files directly.") { config, value throws(ConfigError) in
            config.rrdcachedAddress = value.isEmpty ? nil : value
        },
        Setting(section: "collector", key: "pairs", environment: "BTCRATE_PAIRS",
                defaultText: "BTC-USD", help: "Comma-separated pairs to collect, FROM-TO.") { config, value throws(ConfigError) in
            let pairs = try Parse.list(value).map { text throws(ConfigError) in
                do throws(PairError) { return try CurrencyPair(parsing: text) } catch { throw ConfigError(error.description) }
            }
            guard !pairs.isEmpty else { throw ConfigError("needs at least one pair") }
            guard Set(pairs).count == pairs.count else { throw ConfigError("lists a pair twice") }
            config.pairs = pairs
        },
        Setting(section: "collector", key: "sources", environment: "BTCRATE_SOURCES",
                defaultText: "alphavantage, coinbase, kraken, bitstamp",
                help: "Live sources in the order they are tried.") { config, value throws(ConfigError) in
            let sources = try Parse.list(value).map { text throws(ConfigError) in
                guard let source = SourceID(rawValue: text.lowercased()) else {
                    throw ConfigError("unknown source '\(text)'; known: \(SourceID.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return source
            }
            guard !sources.isEmpty else { throw ConfigError("needs at least one source") }
            config.sources = sources
        },
        Setting(section: "collector", key: "concurrency", environment: "BTCRATE_CONCURRENCY",
                defaultText: "8", help: "Pairs collected at the same time (1-64).") { config, value throws(ConfigError) in
            config.concurrency = try Parse.integer(value, in: 1...64)
        },
        Setting(section: "collector", key: "gap_repair", environment: "BTCRATE_GAP_REPAIR",
                defaultText: "true", help: "Fill missed slots from Bitstamp's 10-minute history before writing.") { config, value throws(ConfigError) in
            config.gapRepair = try Parse.bool(value)
        },
        Setting(section: "collector", key: "gap_repair_max_days", environment: "BTCRATE_GAP_REPAIR_MAX_DAYS",
                defaultText: "7", help: "Longest gap one run repairs, in days.") { config, value throws(ConfigError) in
            config.gapRepairMaxDays = try Parse.integer(value, in: 0...3650)
        },
        Setting(section: "http", key: "connect_timeout", environment: "BTCRATE_CONNECT_TIMEOUT",
                defaultText: "5s", help: "Time allowed to connect to a source.") { config, value throws(ConfigError) in
            config.connectTimeout = try Parse.duration(value, in: 0.1...300)
        },
        Setting(section: "http", key: "total_timeout", environment: "BTCRATE_TOTAL_TIMEOUT",
                defaultText: "15s", help: "Time allowed for a whole request.") { config, value throws(ConfigError) in
            config.totalTimeout = try Parse.duration(value, in: 0.1...600)
        },
        Setting(section: "http", key: "max_body_bytes", environment: "BTCRATE_MAX_BODY_BYTES",
                defaultText: "1048576", help: "Largest response body accepted.") { config, value throws(ConfigError) in
            config.maxBodyBytes = try Parse.integer(value, in: 1024...(64 << 20))
        },
        Setting(section: "alphavantage", key: "url", environment: "BTCRATE_ALPHAVANTAGE_URL",
                defaultText: "https://www.alphavantage.co", help: "Alpha Vantage base URL.") { config, value throws(ConfigError) in
            config.alphaVantageURL = try Parse.url(value)
        },
        Setting(section: "alphavantage", key: "key_file", environment: "BTCRATE_ALPHAVANTAGE_KEY_FILE",
                defaultText: "", help: "File holding the API key, used when no systemd credential is given.") { config, value throws(ConfigError) in
            guard value.isEmpty || value.hasPrefix("/") else { throw ConfigError("must be an absolute path") }
            config.alphaVantageKeyFile = value.isEmpty ? nil : value
        },
        Setting(section: "coinbase", key: "url", environment: "BTCRATE_COINBASE_URL",
                defaultText: "https://api.exchange.coinbase.com", help: "Coinbase Exchange base URL.") { config, value throws(ConfigError) in
            config.coinbaseURL = try Parse.url(value)
        },
        Setting(section: "kraken", key: "url", environment: "BTCRATE_KRAKEN_URL",
                defaultText: "https://api.kraken.com", help: "Kraken base URL.") { config, value throws(ConfigError) in
            config.krakenURL = try Parse.url(value)
        },
        Setting(section: "bitstamp", key: "url", environment: "BTCRATE_BITSTAMP_URL",
                defaultText: "https://www.bitstamp.net", help: "Bitstamp base URL (live quotes and history).") { config, value throws(ConfigError) in
            config.bitstampURL = try Parse.url(value)
        },
        Setting(section: "validation", key: "min_rate", environment: "BTCRATE_MIN_RATE",
                defaultText: "1000", help: "Lowest plausible rate; lower quotes are refused.") { config, value throws(ConfigError) in
            config.validation.minRate = try Parse.positive(value)
        },
        Setting(section: "validation", key: "max_rate", environment: "BTCRATE_MAX_RATE",
                defaultText: "10000000", help: "Highest plausible rate; higher quotes are refused.") { config, value throws(ConfigError) in
            config.validation.maxRate = try Parse.positive(value)
        },
        Setting(section: "validation", key: "max_age", environment: "BTCRATE_MAX_AGE",
                defaultText: "30m", help: "Oldest quote (by the source's timestamp) that is still written.") { config, value throws(ConfigError) in
            config.validation.maxAge = try Parse.duration(value, in: 1...86_400)
        },
        Setting(section: "validation", key: "future_tolerance", environment: "BTCRATE_FUTURE_TOLERANCE",
                defaultText: "2m", help: "How far ahead of this clock a quote's timestamp may be.") { config, value throws(ConfigError) in
            config.validation.futureTolerance = try Parse.duration(value, in: 0...86_400)
        },
        Setting(section: "validation", key: "max_jump", environment: "BTCRATE_MAX_JUMP",
                defaultText: "0.10", help: "Change from the last stored value (fraction) that needs a second source.") { config, value throws(ConfigError) in
            config.validation.maxJump = try Parse.fraction(value)
        },
        Setting(section: "validation", key: "confirm_tolerance", environment: "BTCRATE_CONFIRM_TOLERANCE",
                defaultText: "0.02", help: "How close (fraction) a confirming source must be.") { config, value throws(ConfigError) in
            config.validation.confirmTolerance = try Parse.fraction(value)
        },
        Setting(section: "graph", key: "listen", environment: "BTCRATE_LISTEN",
                defaultText: "127.0.0.1:8610", help: "Address of the graph service, host:port.") { config, value throws(ConfigError) in
            config.listen = try ListenAddress(parsing: value)
        },
        Setting(section: "graph", key: "stale_after", environment: "BTCRATE_STALE_AFTER",
                defaultText: "30m", help: "Newest sample age at which /healthz reports unhealthy.") { config, value throws(ConfigError) in
            config.staleAfter = try Parse.duration(value, in: 60...604_800)
        },
        Setting(section: "graph", key: "cache_entries", environment: "BTCRATE_GRAPH_CACHE_ENTRIES",
                defaultText: "256", help: "Rendered graphs kept in memory.") { config, value throws(ConfigError) in
            config.graphCacheEntries = try Parse.integer(value, in: 1...100_000)
        },
        Setting(section: "log", key: "level", environment: "BTCRATE_LOG_LEVEL",
                defaultText: "info", help: "Least severe level logged: debug, info, notice, warning, error.") { config, value throws(ConfigError) in
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw ConfigError("must be one of debug, info, notice, warning, error")
            }
            config.logLevel = value
        },
    ]

    /// Keys allowed in a `[validation.PAIR]` section.
    static let perPairValidationKeys = ["min_rate", "max_rate", "max_jump", "max_age"]
}
