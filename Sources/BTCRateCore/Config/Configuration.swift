import FoundationEssentials
import Glibc

/// Everything btcrate reads from its configuration, after defaults, the config
/// file and the environment have been applied, in that order (see `ConfigLoader`).
public struct Configuration: Sendable, Equatable {
    public var stateDirectory = "/var/lib/btcrate"
    /// rrdcached's address; nil writes the RRD files directly.
    public var rrdcachedAddress: String?
    /// `[storage.PAIR]` sections: a pair's own rrdcached (a shard), "" for direct files.
    public var pairStorage: [CurrencyPair: String] = [:]
    /// Seconds one call to rrdcached may take before it is abandoned (librrd has no timeout).
    public var rrdcachedTimeout = 10.0
    public var pairs: [CurrencyPair] = [try! CurrencyPair(parsing: "BTC-USD")]
    /// The order in which sources are asked for a live quote.
    public var sources: [SourceID] = [.alphavantage, .coinbase, .kraken, .bitstamp]
    /// How many pairs are collected at the same time.
    public var concurrency = 8
    public var gapRepair = true
    /// The longest gap a collection run repairs, in days (older slots stay unknown).
    public var gapRepairMaxDays = 30
    public var connectTimeout = 5.0
    public var totalTimeout = 15.0
    public var maxBodyBytes = 1 << 20
    public var alphaVantageURL = "https://www.alphavantage.co"
    public var alphaVantageKeyFile: String?
    public var coinbaseURL = "https://api.exchange.coinbase.com"
    public var krakenURL = "https://api.kraken.com"
    public var bitstampURL = "https://www.bitstamp.net"
    public var validation = ValidationPolicy()
    /// Overrides from `[validation.PAIR]` sections, applied on top of `validation`.
    public var pairValidation: [CurrencyPair: PartialPolicy] = [:]
    public var logLevel = "info"
    /// Where the graph service listens. Loopback by default: put a reverse proxy in front to publish it.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8610)
    /// The newest sample may be this old before /healthz answers 503.
    public var staleAfter = 1800.0
    /// Rendered graphs kept in memory.
    public var graphCacheEntries = 256
    /// graph.render_workers: render worker processes; nil: one per CPU (see `resolvedRenderWorkers`).
    public var renderWorkers: Int?
    /// graph.render_timeout: the longest a render may wait for a worker, and the
    /// longest a worker may take; past it the request gets 503 (and the worker is replaced).
    public var renderTimeout = 10.0
    /// graph.max_queue: renders that may wait for a worker; one more gets 503 at once.
    public var graphMaxQueue = 64
    /// graph.idle_timeout: a connection with no request in progress is closed after this long.
    public var graphIdleTimeout = 30.0
    /// graph.max_connections: open connections; at the limit the longest-idle one makes way.
    public var graphMaxConnections = 1000
    /// graph.allowed_hosts: the Host headers the graph service answers; nil is
    /// the default list (see `resolvedAllowedHosts`), ["*"] any host.
    public var allowedHosts: [String]?
    /// Thresholds and timings of the alert rules.
    public var alertPolicy = AlertPolicy()
    /// The watchdog evaluates at least this often, besides reacting to new run records at once.
    public var watchdogPoll = 30.0
    /// How often the watchdog GETs notify.heartbeat_url while it is healthy.
    public var heartbeatInterval = 60.0
    /// The graph service's health URL the watchdog checks; nil: do not check. Empty: from graph.listen.
    public var graphHealthURL: String? = ""
    /// The link put in notifications; empty: the graph page at graph.listen.
    public var externalURL = ""
    public var notify = NotifyConfiguration()

    public init() {}

    /// Render worker processes to start: `graph.render_workers`, or one per CPU, 1 to 16.
    public var resolvedRenderWorkers: Int {
        renderWorkers ?? max(1, min(16, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// The health URL the watchdog checks, resolved.
    public var resolvedGraphHealthURL: String? {
        guard let url = graphHealthURL else { return nil }
        return url.isEmpty ? "http://\(listen.loopbackIfWildcard)/healthz" : url
    }

    /// The host names (lowercased, IPv6 without brackets) the graph service
    /// answers, or nil for any. Default: the listen address's host, localhost,
    /// 127.0.0.1, ::1 and the hosts of the external URL and the watchdog's graph_url. A page on another name
    /// that resolves here (DNS rebinding) gets 421 and cannot read the data.
    public var resolvedAllowedHosts: Set<String>? {
        if let allowedHosts {
            return allowedHosts.contains("*") ? nil : Set(allowedHosts.map { Self.hostName($0) })
        }
        var hosts: Set<String> = [Self.hostName(listen.host), "localhost", "127.0.0.1", "::1"]
        // The names btcrate itself uses for the service: links in notifications, and
        // the watchdog's health check (which must never get 421 from its own service).
        for url in [resolvedExternalURL, resolvedGraphHealthURL].compactMap({ $0 }) {
            if let host = URLComponents(string: url)?.host, !host.isEmpty { hosts.insert(Self.hostName(host)) }
        }
        return hosts
    }

    /// "Example.org", "[::1]" → "example.org", "::1": host names as graph.allowed_hosts compares them.
    public static func hostName(_ text: String) -> String {
        var host = text.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }

    /// Where notifications link to; a wildcard listen address (a container's
    /// 0.0.0.0) names this machine instead, which a reader can at least resolve.
    public var resolvedExternalURL: String {
        guard externalURL.isEmpty else { return externalURL }
        let host = listen.isWildcard ? ListenAddress(host: ProcessInfo.processInfo.hostName, port: listen.port) : listen
        return "http://\(host)/"
    }

    public func policy(for pair: CurrencyPair) -> ValidationPolicy {
        pairValidation[pair]?.applied(to: validation) ?? validation
    }

    /// The RRD file of a pair.
    public func rrdPath(for pair: CurrencyPair) -> String {
        stateDirectory.trimmingTrailingSlashes + "/" + pair.fileName
    }

    /// Where the pair's RRD file lives: its `[storage.PAIR]` daemon, else
    /// `storage.rrdcached_address`, else the state directory. Over TCP the file
    /// is named relative to the daemon's base directory (`BTC-USD.rrd`).
    public func storage(for pair: CurrencyPair) -> RRDLocation {
        let configured = pairStorage[pair] ?? rrdcachedAddress ?? ""
        let address = configured.isEmpty ? nil : configured
        if let address, RRDLocation.isTCP(address) {
            return RRDLocation(address: address, path: pair.fileName)
        }
        return RRDLocation(address: address, path: rrdPath(for: pair))
    }
}

/// Where alert notifications go (`[notify]`). Every sink is optional.
public struct NotifyConfiguration: Sendable, Equatable {
    public var webhookURL: String?
    public var slackURL: String?
    public var alertmanagerURL: String?
    public var smtpURL: String?
    public var smtpFrom = ""
    public var smtpTo: [String] = []
    public var smtpUsername: String?
    public var smtpPasswordFile: String?
    /// PEM file of the CA(s) to trust for the SMTP server's certificate instead of
    /// the system's (a private CA); verification itself stays on.
    public var smtpCAFile: String?
    /// With an smtp:// URL, require STARTTLS (never send in clear text).
    public var smtpStartTLS = true
    /// Attempts after the first one, with a doubling delay starting at `retryDelay`.
    public var retries = 3
    public var retryDelay = 2.0
    public var timeout = 10.0
    /// An undelivered notification is retried (backoff at most 5 minutes apart)
    /// for this long after it was queued, then dropped with an error.
    public var giveUpAfter = 86_400.0
    /// Transitions within this many seconds of the first one go to a sink as one
    /// notification (Alertmanager's group_wait); the Alertmanager sink is exempt,
    /// since Alertmanager groups by itself.
    public var groupWait = 30.0
    /// A healthchecks-style URL the watchdog GETs every watchdog.heartbeat_interval
    /// while it is healthy; its silence is the alarm.
    public var heartbeatURL: String?

    public init() {}

    public var isEmpty: Bool { webhookURL == nil && slackURL == nil && alertmanagerURL == nil && smtpURL == nil }
}

/// `host:port` of a listening socket; IPv6 hosts are written in brackets, `[::1]:8610`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ConfigError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65_535).contains(port) else {
            throw ConfigError("'\(text)' is not host:port (port 1-65535), e.g. 127.0.0.1:8610 or [::1]:8610")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.count <= 253,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            throw ConfigError("'\(text)' has an invalid host")
        }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `0.0.0.0` or `::`: every address of the machine.
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// The address to connect to for a health check: loopback for a wildcard.
    public var loopbackIfWildcard: ListenAddress {
        guard isWildcard else { return self }
        return ListenAddress(host: host == "::" ? "::1" : "127.0.0.1", port: port)
    }
}

/// The keys a `[validation.PAIR]` section may set.
public struct PartialPolicy: Sendable, Equatable {
    public var minRate: Double?
    public var maxRate: Double?
    public var maxJump: Double?
    public var maxAge: Double?

    public init() {}

    public func applied(to base: ValidationPolicy) -> ValidationPolicy {
        var result = base
        if let minRate { result.minRate = minRate }
        if let maxRate { result.maxRate = maxRate }
        if let maxJump { result.maxJump = maxJump }
        if let maxAge { result.maxAge = maxAge }
        return result
    }
}

/// A configuration problem, named so that the operator can fix it in one go.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
