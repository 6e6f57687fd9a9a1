import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Glibc
import LibCurl
import BTCRateGraph
import LibRRD
import LibSystemd

/// Gathers one `Observation` for the alert rules: recent rows of each RRD file,
/// the run record, free disk space, clock jumps, the graph service's health and,
/// under systemd, the units' states. Read-only: it never writes an RRD file.
final class ObservationGatherer: @unchecked Sendable {
    let configuration: Configuration
    let hasKey: Bool
    let watchingSince: Int
    private let probe = GraphHealthProbe(userAgent: "btcrate-watchdog/\(BTCRateVersion.current)")
    /// Opened when first needed, and again after it broke (systemd re-executed,
    /// dbus restarted): a broken connection answers every call with an error.
    private var bus: SystemBus?
    /// The last (wall, since boot) reading, to notice the wall clock jumping.
    private var lastReading: (wall: Double, sinceBoot: Double)?
    /// Seconds since boot, counting suspend (CLOCK_BOOTTIME): against it a
    /// suspended laptop's wall clock has moved exactly as far as time did, so a
    /// resume is no jump. CLOCK_MONOTONIC stops while suspended and made every
    /// resume look like a leap forward. Injected by tests.
    let sinceBoot: @Sendable () -> Double
    private var lastJump: (at: Int, seconds: Int)?
    /// btcrate's units were seen over D-Bus once: losing sight of them later is news.
    private var sawUnits = false
    /// timedated's last answer and when it came: asked at most every 5 minutes, not
    /// at every evaluation (each question bus-activates timedated, which exits when
    /// idle; ClockNotSynchronised waits 30 minutes anyway).
    private var lastSynchronised: (answer: Bool, at: Double)?
    static let synchronisedCacheSeconds = 300.0

    static let units = ["btcrate-collector.timer", "btcrate-collector.service", "btcrate-graph.service", "btcrate-watchdog.service"]

    init(configuration: Configuration, hasKey: Bool, now: Date, sinceBoot: @escaping @Sendable () -> Double = ObservationGatherer.bootClock) {
        self.configuration = configuration
        self.sinceBoot = sinceBoot
        self.hasKey = hasKey
        watchingSince = Int(now.timeIntervalSince1970)
    }

    func gather(now: Date) async -> Observation {
        let wall = now.timeIntervalSince1970
        noteClock(wall: wall)
        // librrd and file reads block: they run on the pool for blocking calls, not
        // the cooperative pool (which `btcrate run` shares with the graph service).
        // The run record once per evaluation, not once per pair: it names every pair.
        let (record, pairs) = await Blocking.perform { () -> (RunRecord?, [Observation.PairData]) in
            let record = RunRecordStore(stateDirectory: self.configuration.stateDirectory).load()
            let runs = Dictionary((record?.pairs ?? []).map { ($0.pair, $0) }, uniquingKeysWith: { $1 })
            return (record, self.configuration.pairs.map { self.pairData($0, run: runs[$0], now: Int(wall)) })
        }
        // Whether the collector has a key is the collector's to say (its run record):
        // under systemd only the collector unit is given the credential.
        let keyless = record?.keylessOnly
        var observation = Observation(now: Int(wall), watchingSince: watchingSince, pairs: pairs,
                                      sources: configuration.sources, hasAlphaVantageKey: keyless.map { !$0 } ?? hasKey)
        observation.clockJump = lastJump
        (observation.diskFreeFraction, observation.diskFreeBytes) = await Blocking.perform { self.diskFree() }
        if let url = configuration.resolvedGraphHealthURL {
            observation.graphService = await graphHealth(url)
        }
        // sd-bus calls block (each for at most 3 s).
        (observation.units, observation.unitsUnseen, observation.clockSynchronised) = await Blocking.perform { self.systemState() }
        return observation
    }

    static let bootClock: @Sendable () -> Double = {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func noteClock(wall: Double) {
        let boot = sinceBoot()
        if let last = lastReading {
            let drift = (wall - last.wall) - (boot - last.sinceBoot)
            if abs(drift) > Double(configuration.alertPolicy.clockJumpTolerance) {
                lastJump = (Int(wall), Int(drift.rounded()))
            }
        }
        lastReading = (wall, boot)
    }

    var lastClockJump: (at: Int, seconds: Int)? { lastJump }

    private func pairData(_ pair: CurrencyPair, run: RunRecord.PairEntry?, now: Int) -> Observation.PairData {
        var data = Observation.PairData(pair: pair)
        data.run = run
        let file = configuration.rrdFile(for: pair)
        let cache = configuration.rrdcachedClient(for: pair)
        // Over TCP the file is the storage host's: read through the daemon only
        // (LAST, and FETCH, which flushes); locally it is on disk after a flush.
        let remote = configuration.storage(for: pair).isRemote
        guard remote || file.exists else { return data }
        let policy = configuration.alertPolicy
        let span = max(policy.priceMoveWindow, (policy.flatlineSlots + 1) * Slot.seconds,
                       (policy.staleCriticalSlots + 2) * Slot.seconds, 6 * 3600)
        do {
            let last: Int
            let series: RRDSeries
            if remote, let cache {
                do {
                    last = try cache.last(file: file)
                } catch let error as RRDError where error.isNoSuchFile {
                    return data
                }
                series = try cache.fetch(file: file, consolidation: "AVERAGE", start: max(now, last) - span, end: max(now, last))
            } else {
                try cache?.flush(file: file)
                last = try file.last()
                series = try file.fetch(consolidation: "AVERAGE", start: max(now, last) - span, end: max(now, last), resolution: Slot.seconds)
            }
            data.lastUpdate = last
            let columns = ["rate", "bid", "ask"].map { series.column($0) }
            data.recent = columns[0].indices.compactMap { index in
                let time = columns[0][index].time
                guard time <= last else { return nil }
                func known(_ column: Int) -> Double? {
                    let value = columns[column][index].value
                    return value.isFinite ? value : nil
                }
                return Observation.Row(time: time, rate: known(0), bid: known(1), ask: known(2))
            }
        } catch {
            data.fileError = (error as? RRDError)?.message ?? "\(error)"
        }
        return data
    }

    private func diskFree() -> (Double?, Int?) {
        var stats = statvfs()
        guard statvfs(configuration.stateDirectory, &stats) == 0, stats.f_blocks > 0 else { return (nil, nil) }
        let free = Double(stats.f_bavail) / Double(stats.f_blocks)
        return (free, Int(stats.f_bavail) * Int(stats.f_frsize))
    }

    /// Up when /healthz answers at all (503 "stale" is the data's problem, and
    /// RateStale says so); down when it cannot be reached or fails otherwise.
    private func graphHealth(_ url: String) async -> Observation.Reachability {
        do {
            let response = try await probe.ask(url)
            return .health(status: response.status, body: response.body)
        } catch {
            return .down("\(error)")
        }
    }

    private func clockSynchronised(_ bus: SystemBus) -> Bool? {
        let now = sinceBoot()
        if let last = lastSynchronised, now - last.at < Self.synchronisedCacheSeconds { return last.answer }
        let answer = try? bus.clockSynchronised()
        lastSynchronised = answer.map { ($0, now) }
        return answer
    }

    /// The units' states (nil when btcrate's units are not installed or there is no
    /// systemd), why they cannot be seen when they could before, and timedated's
    /// verdict on the clock (nil when it cannot be asked). A call that fails drops
    /// the connection, and the next evaluation opens a new one: after a D-Bus
    /// restart the watchdog sees the units again. Each call has SystemBus's deadline.
    private func systemState() -> (units: [Observation.UnitStatus]?, unseen: String?, synchronised: Bool?) {
        if bus == nil { bus = SystemBus() }
        guard let bus else { return (nil, sawUnits ? "the system bus cannot be opened" : nil, nil) }
        do {
            let timer = try bus.unit(Self.units[0])
            let synchronised = clockSynchronised(bus)
            guard timer.loadState == "loaded" else { return (nil, nil, synchronised) }
            // The timer's answer shows the connection works; one unit that cannot be
            // read (not installed) is left out.
            let units = Self.units.compactMap { name -> Observation.UnitStatus? in
                guard let state = name == Self.units[0] ? timer : try? bus.unit(name), state.loadState == "loaded" else { return nil }
                return Observation.UnitStatus(name: name, activeState: state.activeState, result: state.result,
                                              exitStatus: state.exitStatus.map(Int.init))
            }
            sawUnits = true
            return (units, nil, synchronised)
        } catch {
            self.bus = nil
            return (nil, sawUnits ? "\(error)" : nil, nil)
        }
    }
}
