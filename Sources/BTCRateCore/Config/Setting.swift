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
                defaultText: "", help: "rrdcached address: unix:/run/rrdcached.sock (this host), host:port or [IPv6]:port (a storage host, files relative to its -b); empty writes files directly. [storage.PAIR] sections set one pair's.") { config, value throws(ConfigError) in
            if let problem = RRDLocation.problem(with: value), !value.isEmpty { throw ConfigError(problem) }
            config.rrdcachedAddress = value.isEmpty ? nil : value
        },
        Setting(section: "storage", key: "rrdcached_timeout", environment: "BTCRATE_RRDCACHED_TIMEOUT",
                defaultText: "10s", help: "Time one rrdcached call may take; past it the call is abandoned (storage_timeout).") { config, value throws(ConfigError) in
            config.rrdcachedTimeout = try Parse.duration(value, in: 0.1...600)
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
                defaultText: "30", help: "Longest gap one run repairs from history, in days.") { config, value throws(ConfigError) in
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
        Setting(section: "validation", key: "clock_tolerance", environment: "BTCRATE_CLOCK_TOLERANCE",
                defaultText: "2m", help: "How far this clock may differ from a source's (its Date header) before quotes are refused (clock_skew).") { config, value throws(ConfigError) in
            config.validation.clockTolerance = try Parse.duration(value, in: 1...86_400)
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
        Setting(section: "graph", key: "allowed_hosts", environment: "BTCRATE_GRAPH_ALLOWED_HOSTS",
                defaultText: "", help: "Host headers the graph service answers, comma-separated; other hosts get 421. Empty: the listen host, localhost, 127.0.0.1, [::1] and the hosts of watchdog.external_url and graph_url; * allows any.") { config, value throws(ConfigError) in
            let hosts = Parse.list(value)
            for host in hosts where host != "*" {
                guard host.count <= 253, !host.contains("/"), !host.contains(" "), host.allSatisfy({ $0.isASCII }) else {
                    throw ConfigError("'\(host)' is not a host name or address")
                }
            }
            config.allowedHosts = hosts.isEmpty ? nil : hosts
        },
        Setting(section: "graph", key: "stale_after", environment: "BTCRATE_STALE_AFTER",
                defaultText: "30m", help: "Newest sample age at which /healthz reports unhealthy.") { config, value throws(ConfigError) in
            config.staleAfter = try Parse.duration(value, in: 60...604_800)
        },
        Setting(section: "graph", key: "cache_entries", environment: "BTCRATE_GRAPH_CACHE_ENTRIES",
                defaultText: "256", help: "Rendered graphs kept in memory.") { config, value throws(ConfigError) in
            config.graphCacheEntries = try Parse.integer(value, in: 1...100_000)
        },
        Setting(section: "graph", key: "render_workers", environment: "BTCRATE_RENDER_WORKERS",
                defaultText: "", help: "Render worker processes (1-16); empty: one per CPU.") { config, value throws(ConfigError) in
            config.renderWorkers = value.isEmpty ? nil : try Parse.integer(value, in: 1...16)
        },
        Setting(section: "graph", key: "render_timeout", environment: "BTCRATE_RENDER_TIMEOUT",
                defaultText: "10s", help: "Longest a render may wait for a worker, and longest a worker may take (then 503; the worker is replaced).") { config, value throws(ConfigError) in
            config.renderTimeout = try Parse.duration(value, in: 1...300)
        },
        Setting(section: "graph", key: "max_queue", environment: "BTCRATE_GRAPH_MAX_QUEUE",
                defaultText: "64", help: "Renders that may wait for a worker; beyond it the dearest (by pixels) gets 503 with Retry-After at once.") { config, value throws(ConfigError) in
            config.graphMaxQueue = try Parse.integer(value, in: 1...10_000)
        },
        Setting(section: "graph", key: "idle_timeout", environment: "BTCRATE_GRAPH_IDLE_TIMEOUT",
                defaultText: "30s", help: "A connection with no request in progress is closed after this long.") { config, value throws(ConfigError) in
            config.graphIdleTimeout = try Parse.duration(value, in: 1...3600)
        },
        Setting(section: "graph", key: "max_connections", environment: "BTCRATE_GRAPH_MAX_CONNECTIONS",
                defaultText: "1000", help: "Open connections at most; at the limit the longest-idle one is closed for a new one.") { config, value throws(ConfigError) in
            config.graphMaxConnections = try Parse.integer(value, in: 16...1_000_000)
        },
        Setting(section: "alerts", key: "stale_warning_slots", environment: "BTCRATE_STALE_WARNING_SLOTS",
                defaultText: "2", help: "RateStale warns after this many missed slots.") { config, value throws(ConfigError) in
            config.alertPolicy.staleWarningSlots = try Parse.integer(value, in: 1...1000)
        },
        Setting(section: "alerts", key: "stale_critical_slots", environment: "BTCRATE_STALE_CRITICAL_SLOTS",
                defaultText: "6", help: "RateStale turns critical after this many missed slots.") { config, value throws(ConfigError) in
            config.alertPolicy.staleCriticalSlots = try Parse.integer(value, in: 1...10_000)
        },
        Setting(section: "alerts", key: "collector_failures", environment: "BTCRATE_COLLECTOR_FAILURES",
                defaultText: "2", help: "CollectorFailing fires after this many failed runs in a row.") { config, value throws(ConfigError) in
            config.alertPolicy.collectorFailures = try Parse.integer(value, in: 1...1000)
        },
        Setting(section: "alerts", key: "price_move", environment: "BTCRATE_PRICE_MOVE",
                defaultText: "0.05", help: "PriceMove: a change of at least this fraction within price_move_window.") { config, value throws(ConfigError) in
            config.alertPolicy.priceMove = try Parse.fraction(value)
        },
        Setting(section: "alerts", key: "price_move_window", environment: "BTCRATE_PRICE_MOVE_WINDOW",
                defaultText: "1h", help: "PriceMove's window.") { config, value throws(ConfigError) in
            config.alertPolicy.priceMoveWindow = Int(try Parse.duration(value, in: 600...604_800))
        },
        Setting(section: "alerts", key: "price_above", environment: "BTCRATE_PRICE_ABOVE",
                defaultText: "", help: "PriceAbove fires when the rate rises above this; empty: off.") { config, value throws(ConfigError) in
            config.alertPolicy.priceAbove = value.isEmpty ? nil : try Parse.positive(value)
        },
        Setting(section: "alerts", key: "price_below", environment: "BTCRATE_PRICE_BELOW",
                defaultText: "", help: "PriceBelow fires when the rate falls below this; empty: off.") { config, value throws(ConfigError) in
            config.alertPolicy.priceBelow = value.isEmpty ? nil : try Parse.positive(value)
        },
        Setting(section: "alerts", key: "spread", environment: "BTCRATE_SPREAD",
                defaultText: "0.01", help: "SpreadWide: (ask - bid) / rate at least this.") { config, value throws(ConfigError) in
            config.alertPolicy.spread = try Parse.fraction(value)
        },
        Setting(section: "alerts", key: "flatline_slots", environment: "BTCRATE_FLATLINE_SLOTS",
                defaultText: "6", help: "Flatline: this many identical samples in a row.") { config, value throws(ConfigError) in
            config.alertPolicy.flatlineSlots = try Parse.integer(value, in: 2...1000)
        },
        Setting(section: "alerts", key: "disk_free", environment: "BTCRATE_DISK_FREE",
                defaultText: "0.10", help: "DiskSpaceLow below this fraction free (critical below half).") { config, value throws(ConfigError) in
            config.alertPolicy.diskFree = try Parse.fraction(value)
        },
        Setting(section: "alerts", key: "for", environment: "BTCRATE_ALERTS_FOR",
                defaultText: "", help: "Pending time before any alert fires; empty: each alert's own default.") { config, value throws(ConfigError) in
            guard !value.isEmpty else { return }
            let seconds = Int(try Parse.duration(value, in: 0...86_400))
            config.alertPolicy.pendingFor = Dictionary(uniqueKeysWithValues: AlertName.allCases.map { ($0, seconds) })
        },
        Setting(section: "alerts", key: "repeat_interval", environment: "BTCRATE_REPEAT_INTERVAL",
                defaultText: "4h", help: "A firing alert is notified again after this long.") { config, value throws(ConfigError) in
            config.alertPolicy.repeatInterval = Int(try Parse.duration(value, in: 60...604_800))
        },
        Setting(section: "watchdog", key: "poll_interval", environment: "BTCRATE_WATCHDOG_POLL",
                defaultText: "30s", help: "Longest time between two evaluations.") { config, value throws(ConfigError) in
            config.watchdogPoll = try Parse.duration(value, in: 1...3600)
        },
        Setting(section: "watchdog", key: "heartbeat_interval", environment: "BTCRATE_HEARTBEAT_INTERVAL",
                defaultText: "1m", help: "How often notify.heartbeat_url is pinged while the watchdog is healthy.") { config, value throws(ConfigError) in
            config.heartbeatInterval = try Parse.duration(value, in: 5...86_400)
        },
        Setting(section: "watchdog", key: "graph_url", environment: "BTCRATE_GRAPH_HEALTH_URL",
                defaultText: "", help: "Health URL of the graph service; empty: from graph.listen; off: not checked.") { config, value throws(ConfigError) in
            config.graphHealthURL = value == "off" ? nil : value.isEmpty ? "" : try Parse.url(value)
        },
        Setting(section: "watchdog", key: "external_url", environment: "BTCRATE_EXTERNAL_URL",
                defaultText: "", help: "Link to the graph page in notifications; empty: from graph.listen.") { config, value throws(ConfigError) in
            config.externalURL = value.isEmpty ? "" : try Parse.url(value)
        },
        Setting(section: "notify", key: "webhook_url", environment: "BTCRATE_WEBHOOK_URL",
                defaultText: "", help: "Generic JSON webhook (Alertmanager's webhook format).") { config, value throws(ConfigError) in
            config.notify.webhookURL = value.isEmpty ? nil : try Parse.url(value)
        },
        Setting(section: "notify", key: "slack_url", environment: "BTCRATE_SLACK_URL",
                defaultText: "", help: "Slack-compatible incoming webhook.") { config, value throws(ConfigError) in
            config.notify.slackURL = value.isEmpty ? nil : try Parse.url(value)
        },
        Setting(section: "notify", key: "alertmanager_url", environment: "BTCRATE_ALERTMANAGER_URL",
                defaultText: "", help: "Prometheus Alertmanager base URL (v2 API).") { config, value throws(ConfigError) in
            config.notify.alertmanagerURL = value.isEmpty ? nil : try Parse.url(value)
        },
        Setting(section: "notify", key: "smtp_url", environment: "BTCRATE_SMTP_URL",
                defaultText: "", help: "Mail server: smtp://host:587 (STARTTLS) or smtps://host:465.") { config, value throws(ConfigError) in
            guard value.isEmpty || value.hasPrefix("smtp://") || value.hasPrefix("smtps://") else {
                throw ConfigError("'\(URLMask.mask(value))' is not an smtp:// or smtps:// URL")
            }
            config.notify.smtpURL = value.isEmpty ? nil : value
        },
        Setting(section: "notify", key: "smtp_from", environment: "BTCRATE_SMTP_FROM",
                defaultText: "", help: "Sender address of alert mails.") { config, value throws(ConfigError) in
            config.notify.smtpFrom = try Parse.mailbox(value, allowEmpty: true)
        },
        Setting(section: "notify", key: "smtp_to", environment: "BTCRATE_SMTP_TO",
                defaultText: "", help: "Recipients, comma-separated.") { config, value throws(ConfigError) in
            config.notify.smtpTo = try Parse.list(value).map { address throws(ConfigError) in try Parse.mailbox(address, allowEmpty: false) }
        },
        Setting(section: "notify", key: "smtp_username", environment: "BTCRATE_SMTP_USERNAME",
                defaultText: "", help: "SMTP login; the password comes from the smtp-password credential or smtp_password_file.") { config, value throws(ConfigError) in
            config.notify.smtpUsername = value.isEmpty ? nil : value
        },
        Setting(section: "notify", key: "smtp_password_file", environment: "BTCRATE_SMTP_PASSWORD_FILE",
                defaultText: "", help: "File holding the SMTP password, when no smtp-password credential is given.") { config, value throws(ConfigError) in
            guard value.isEmpty || value.hasPrefix("/") else { throw ConfigError("must be an absolute path") }
            config.notify.smtpPasswordFile = value.isEmpty ? nil : value
        },
        Setting(section: "notify", key: "smtp_ca_file", environment: "BTCRATE_SMTP_CA_FILE",
                defaultText: "", help: "PEM file of the CA to trust for the SMTP server's certificate (a private CA); empty: the system's.") { config, value throws(ConfigError) in
            guard value.isEmpty || value.hasPrefix("/") else { throw ConfigError("must be an absolute path") }
            config.notify.smtpCAFile = value.isEmpty ? nil : value
        },
        Setting(section: "notify", key: "smtp_starttls", environment: "BTCRATE_SMTP_STARTTLS",
                defaultText: "true", help: "Require STARTTLS on smtp:// URLs.") { config, value throws(ConfigError) in
            config.notify.smtpStartTLS = try Parse.bool(value)
        },
        Setting(section: "notify", key: "heartbeat_url", environment: "BTCRATE_HEARTBEAT_URL",
                defaultText: "", help: "Dead-man's switch: GET every watchdog.heartbeat_interval while the watchdog is healthy.") { config, value throws(ConfigError) in
            config.notify.heartbeatURL = value.isEmpty ? nil : try Parse.url(value)
        },
        Setting(section: "notify", key: "give_up_after", environment: "BTCRATE_NOTIFY_GIVE_UP_AFTER",
                defaultText: "24h", help: "An undelivered notification is retried from the outbox for this long.") { config, value throws(ConfigError) in
            config.notify.giveUpAfter = try Parse.duration(value, in: 60...2_592_000)
        },
        Setting(section: "notify", key: "group_wait", environment: "BTCRATE_NOTIFY_GROUP_WAIT",
                defaultText: "30s", help: "Changes within this time of the first go to the webhook, Slack and email as one notification; 0 sends each at once.") { config, value throws(ConfigError) in
            config.notify.groupWait = try Parse.duration(value, in: 0...3600)
        },
        Setting(section: "notify", key: "retries", environment: "BTCRATE_NOTIFY_RETRIES",
                defaultText: "3", help: "Immediate retries of btcrate alerts test and of a unit-failure notice.") { config, value throws(ConfigError) in
            config.notify.retries = try Parse.integer(value, in: 0...20)
        },
        Setting(section: "notify", key: "retry_delay", environment: "BTCRATE_NOTIFY_RETRY_DELAY",
                defaultText: "2s", help: "Delay before the first retry; it doubles per failure, up to 5 minutes.") { config, value throws(ConfigError) in
            config.notify.retryDelay = try Parse.duration(value, in: 0.01...3600)
        },
        Setting(section: "notify", key: "timeout", environment: "BTCRATE_NOTIFY_TIMEOUT",
                defaultText: "10s", help: "Time allowed for one delivery attempt.") { config, value throws(ConfigError) in
            config.notify.timeout = try Parse.duration(value, in: 0.1...600)
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
