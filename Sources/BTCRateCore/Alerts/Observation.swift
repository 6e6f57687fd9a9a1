import FoundationEssentials
import Glibc

/// Everything the alert rules look at, gathered by the watchdog in one pass.
/// Pure data, so rules are tested with synthetic observations and a chosen `now`.
public struct Observation: Sendable {
    public struct Row: Sendable, Equatable {
        public let time: Int
        public let rate: Double?
        public let bid: Double?
        public let ask: Double?

        public init(time: Int, rate: Double?, bid: Double? = nil, ask: Double? = nil) {
            self.time = time
            self.rate = rate
            self.bid = bid
            self.ask = ask
        }
    }

    public struct PairData: Sendable {
        public let pair: CurrencyPair
        /// Set when the RRD file cannot be read; librrd's message.
        public var fileError: String?
        /// Recent 10-minute rows, oldest first (unknown values nil).
        public var recent: [Row]
        /// This pair's entry in the latest run record.
        public var run: RunRecord.PairEntry?
        /// The file's last update (Unix seconds): the newest sample's slot, since the
        /// collector only writes known rates. Read even when it is older than `recent`.
        public var lastUpdate: Int?

        public init(pair: CurrencyPair, fileError: String? = nil, recent: [Row] = [], run: RunRecord.PairEntry? = nil) {
            self.pair = pair
            self.fileError = fileError
            self.recent = recent
            self.run = run
        }

        /// The newest slot with a known rate.
        public var newest: Row? { recent.last { $0.rate != nil } }
    }

    public enum Reachability: Sendable, Equatable {
        case up, down(String)

        /// The graph service as its `/healthz` answer shows it. A 503 about the
        /// data ("unhealthy": stale or missing samples) is up: RateStale and
        /// StorageError cover the data. A 503 "starved" (no render worker can take
        /// a render within graph.render_timeout) is down: nobody gets a graph.
        public static func health(status: Int, body: [UInt8]) -> Reachability {
            guard status == 200 || status == 503 else { return .down("HTTP \(status)") }
            guard status == 503,
                  let object = JSONValue.parse(body)?.any as? [String: Any],
                  object["status"] as? String == "starved" else { return .up }
            let reason = (object["reasons"] as? [String])?.first { $0.hasPrefix("renders: ") }
            return .down("HTTP 503, starved: \(reason.map { String($0.dropFirst("renders: ".count)) } ?? "no render worker is free")")
        }
    }

    public struct UnitStatus: Sendable, Equatable {
        public let name: String
        public let activeState: String
        public let result: String?
        /// A service's last exit status.
        public let exitStatus: Int?

        public init(name: String, activeState: String, result: String? = nil, exitStatus: Int? = nil) {
            self.name = name
            self.activeState = activeState
            self.result = result
            self.exitStatus = exitStatus
        }
    }

    public var now: Int
    /// When the watchdog started: the baseline for staleness when no sample exists yet.
    public var watchingSince: Int
    public var pairs: [PairData]
    /// Sources in the configured order, and whether an Alpha Vantage key exists.
    public var sources: [SourceID]
    public var hasAlphaVantageKey: Bool
    /// Free space of the state directory's filesystem, as a fraction of its size.
    public var diskFreeFraction: Double?
    public var diskFreeBytes: Int?
    /// The last clock jump seen (wall clock against the monotonic clock): when, and by how many seconds.
    public var clockJump: (at: Int, seconds: Int)?
    /// systemd-timedated's NTPSynchronized, when it can be asked (under systemd).
    public var clockSynchronised: Bool?
    /// The graph service's /healthz, when it is checked.
    public var graphService: Reachability?
    /// btcrate's systemd units, when running under systemd.
    public var units: [UnitStatus]?
    /// Why the units cannot be seen (D-Bus broke) after they were seen before; nil
    /// while they are seen, or where there are none to see (no systemd, a container).
    public var unitsUnseen: String?
    /// Undelivered notifications per sink (from the outbox), when any sink is configured.
    public var outbox: [OutboxBacklog]?

    /// One sink's undelivered notifications: how many, and when the oldest was queued.
    public struct OutboxBacklog: Sendable, Equatable {
        public let sink: String
        public let count: Int
        public let oldest: Int

        public init(sink: String, count: Int, oldest: Int) {
            self.sink = sink
            self.count = count
            self.oldest = oldest
        }
    }

    public init(now: Int, watchingSince: Int, pairs: [PairData], sources: [SourceID] = [.alphavantage, .coinbase, .kraken, .bitstamp],
                hasAlphaVantageKey: Bool = true) {
        self.now = now
        self.watchingSince = watchingSince
        self.pairs = pairs
        self.sources = sources
        self.hasAlphaVantageKey = hasAlphaVantageKey
    }
}
