import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `<state directory>/alert-history.jsonl`: every time an alert fired, changed
/// severity or resolved, one JSON line each (AlertHistoryEvent), appended by the
/// watchdog and read by the graph service (the bands on the graph) and by
/// `btcrate alerts history`. Silenced and inhibited alerts are recorded too: the
/// history says what happened, not what the sinks were sent.
///
/// Bounded: before a line would take the file past `maxBytes`, the file is renamed
/// to `alert-history.jsonl.1` (replacing the older one) and a new one begun, so the
/// two together never hold much more than 2 × `maxBytes`. Readers read `.1`, then
/// the current file, and skip any line that is not a whole event (torn by a crash,
/// edited by hand): a bad line costs that line, never the history.
public struct AlertHistory: Sendable {
    public static let fileName = "alert-history.jsonl"
    public static let defaultMaxBytes = 1 << 20

    /// The current file; the older one is `path + ".1"`.
    public let path: String
    public let maxBytes: Int
    let directory: String

    public init(stateDirectory: String, maxBytes: Int = AlertHistory.defaultMaxBytes) {
        directory = stateDirectory.trimmingTrailingSlashes
        path = directory + "/" + Self.fileName
        self.maxBytes = max(1, maxBytes)
    }

    public var rotatedPath: String { path + ".1" }

    // MARK: writing

    /// Appends one line per firing and resolved transition (an escalation is a
    /// firing with `previous_severity`); repeats are skipped.
    ///
    /// Each line goes in one write(2) on a descriptor opened O_APPEND, under an
    /// flock on the file, so two watchdogs on one state directory (`btcrate run`
    /// beside the unit) never interleave lines or rotate twice.
    ///
    /// One fsync per call, not per line: a call is one evaluation's changes, which
    /// come a few a day (bursts during an outage), and the watchdog fsyncs
    /// alerts.json at every evaluation anyway, so the flush costs nothing that
    /// matters; without it, a power cut could lose a `resolved` line and leave
    /// the graph showing an alert firing that ended long ago.
    public func append(_ transitions: [Transition]) throws {
        let events = transitions.compactMap(AlertHistoryEvent.init)
        guard !events.isEmpty else { return }
        let lines = try events.map { event -> Data in
            var line = try Self.encoder.encode(event)
            line.append(0x0A)
            return line
        }
        var file = try AppendableHistoryFile.openLocked(path: path, directory: directory)
        defer { file.close() }
        for line in lines {
            if file.size > 0, file.size + line.count + (file.endsWithNewline ? 0 : 1) > maxBytes {
                try file.rotate(to: rotatedPath)
                file = try AppendableHistoryFile.openLocked(path: path, directory: directory)
            }
            // A line left without its newline (a write cut short by a full disk) would
            // swallow the next one: end it first, and readers skip the fragment alone.
            try file.write(file.endsWithNewline ? line : Data([0x0A]) + line)
        }
        try file.sync()
    }

    // MARK: reading

    /// Every event in `.1` and the current file, in the order written (oldest
    /// first, unless the clock was set back), those at or after `since` only.
    /// Missing or unreadable files give no events; see `checkReadable()`.
    public func events(since: Int?) -> [AlertHistoryEvent] {
        let events = readFiles().flatMap(Self.decodeLines)
        guard let since else { return events }
        return events.filter { $0.at >= since }
    }

    /// The periods in which alerts fired, from the events: firing to resolved per
    /// alert (name and pair); an escalation continues its period, which takes the
    /// highest severity seen. `range`: only periods with some part in it (nil: all).
    /// `pair`: nil for every alert, else only that pair's (alerts about the stack,
    /// which have no pair, are left out then). Sorted by start.
    public func periods(overlapping range: ClosedRange<Int>?, pair: String?) -> [AlertPeriod] {
        AlertPeriod.pairing(events(since: nil)).filter { period in
            (pair == nil || period.pair == pair) && (range.map(period.overlaps) ?? true)
        }
    }

    /// Says why the history cannot be read, when it exists but cannot be opened
    /// (the state directory or the file belongs to another user). No file is no
    /// error: the watchdog has recorded nothing yet.
    public func checkReadable() throws(AtomicFile.WriteError) {
        for file in [rotatedPath, path] {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                Glibc.close(descriptor)
            } else if errno != ENOENT {
                throw AtomicFile.WriteError(call: "open", path: file, code: errno)
            }
        }
    }

    /// The two files' bytes, older first, at most `maxBytes` of each (the end of
    /// a file that grew past it by other means). The current file is opened first:
    /// if a rotation moves it to `.1` in between, `.1` is that same file, read once.
    func readFiles() -> [Data] {
        let current = open(path, O_RDONLY | O_CLOEXEC)
        let older = open(rotatedPath, O_RDONLY | O_CLOEXEC)
        defer {
            if current >= 0 { Glibc.close(current) }
            if older >= 0 { Glibc.close(older) }
        }
        var currentInfo = stat(), olderInfo = stat()
        let currentOK = current >= 0 && fstat(current, &currentInfo) == 0
        let olderOK = older >= 0 && fstat(older, &olderInfo) == 0
        var files: [Data] = []
        if olderOK, !(currentOK && olderInfo.st_ino == currentInfo.st_ino && olderInfo.st_dev == currentInfo.st_dev) {
            files.append(Self.readTail(older, size: Int(olderInfo.st_size), limit: maxBytes))
        }
        if currentOK { files.append(Self.readTail(current, size: Int(currentInfo.st_size), limit: maxBytes)) }
        return files
    }

    /// The last `limit` bytes of the first `size`, from the first whole line on.
    static func readTail(_ descriptor: Int32, size: Int, limit: Int) -> Data {
        let start = max(0, size - limit)
        // One byte before the cut tells whether it falls at a line's start.
        let from = max(0, start - 1)
        var buffer = [UInt8](repeating: 0, count: size - from)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(from + filled)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        var bytes = buffer[0..<filled]
        if start > 0 {
            guard let newline = bytes.firstIndex(of: 0x0A) else { return Data() }
            bytes = bytes[(newline + 1)...]
        }
        return Data(bytes)
    }

    /// Whole lines only: what follows the last newline is a line still being
    /// written or one torn by a crash.
    static func decodeLines(_ data: Data) -> [AlertHistoryEvent] {
        guard let end = data.lastIndex(of: 0x0A) else { return [] }
        return data[data.startIndex..<end].split(separator: 0x0A, omittingEmptySubsequences: true).compactMap { line in
            try? decoder.decode(AlertHistoryEvent.self, from: Data(line))
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The state files' decoder (snake_case keys); lines are written compact, one each.
    static var decoder: JSONDecoder { StateFileJSON.decoder }
}
