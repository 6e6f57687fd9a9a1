import BTCRateCore
import BlockingCalls
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The periods in which alerts fired for a pair, from the watchdog's alert
/// history in the state directory: shaded on graphs and listed by the page.
///
/// The history is read again only when it changes (its file's identity, size
/// and modification time are part of every graph's cache key), and off the
/// cooperative threads.
final class AlertAnnotations: Sendable {
    /// One period, as `/graph.json` lists it.
    struct Period: Encodable, Sendable, Equatable {
        let alert: String
        let pair: String?
        let severity: String
        let summary: String
        let start: Int
        /// nil: still firing.
        let end: Int?
    }

    /// What one view shows.
    struct View: Sendable {
        /// Changes whenever the history does.
        let stamp: Int
        let periods: [Period]
        /// The periods to shade, open ones drawn to the view's end.
        let shades: [GraphAnnotation]

        static let none = View(stamp: 0, periods: [], shades: [])
    }

    private let history: AlertHistory
    private let loaded = Mutex<(stamp: Int, periods: [AlertPeriod])?>(nil)

    init(stateDirectory: String) {
        history = AlertHistory(stateDirectory: stateDirectory)
    }

    /// The periods of `pairs` that overlap `range`, newest last.
    func view(pairs: [CurrencyPair], range: ClosedRange<Int>) async -> View {
        let stamp = currentStamp()
        guard stamp != 0 else { return .none }
        let all: [AlertPeriod]
        if let cached = loaded.withLock({ $0 }), cached.stamp == stamp {
            all = cached.periods
        } else {
            let history = history
            all = (try? await Blocking.run { history.periods(overlapping: nil, pair: nil) }) ?? []
            loaded.withLock { $0 = (stamp, all) }
        }
        let names = Set(pairs.map(\.description))
        let chosen = all.filter { period in
            guard let pair = period.pair, names.contains(pair) else { return false }
            return period.start <= range.upperBound && (period.end ?? Int.max) >= range.lowerBound
        }
        let periods = chosen.map {
            Period(alert: $0.alert, pair: $0.pair, severity: $0.severity.rawValue, summary: $0.summary, start: $0.start, end: $0.end)
        }
        let shades = chosen.suffix(GraphArguments.maxAnnotations).map {
            GraphAnnotation(start: max($0.start, range.lowerBound), end: min($0.end ?? range.upperBound, range.upperBound),
                            severity: $0.severity)
        }
        return View(stamp: stamp, periods: periods, shades: shades)
    }

    /// The current history file's inode, size and modification time folded into
    /// one number; 0 when there is no history. One stat(2) of a cached inode per
    /// request: a rotation renames the file to `.1` and starts a new one, so the
    /// current file alone says when either changed.
    private func currentStamp() -> Int {
        var info = stat()
        guard stat(history.path, &info) == 0 else { return 0 }
        return Int(bitPattern: UInt(info.st_ino)) &* 31 &+ Int(info.st_size) &* 1_000_003
            &+ Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec)
    }
}
