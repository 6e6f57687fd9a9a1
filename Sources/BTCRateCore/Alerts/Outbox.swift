import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `<state directory>/outbox/<sink>/`: every notification to every sink, one
/// file each, written atomically before any attempt and removed only once the
/// sink accepted it. A receiver that is down, a watchdog restart or a reload
/// loses nothing: whoever runs the sink's courier next picks the file up.
///
/// File names sort by creation (`<unix ms>-<sequence>-<random>.json`), so a sink
/// gets its notifications in order, and the age of the oldest is read from the
/// name alone (for NotificationsFailing) without opening anything.
public struct Outbox: Sendable {
    public static let directoryName = "outbox"
    /// A sink's queue is bounded: past this many files the oldest is dropped (and
    /// the caller journals it), so a receiver gone for weeks cannot fill the disk.
    public static let maxPerSink = 1_000

    public let directory: String

    public init(stateDirectory: String) {
        directory = stateDirectory.trimmingTrailingSlashes + "/" + Self.directoryName
    }

    /// One notification for one sink.
    public struct Entry: Codable, Sendable, Equatable {
        public var version = 1
        public let sink: String
        /// When it was queued (Unix seconds, fractional).
        public let createdAt: Double
        /// Failed attempts so far.
        public var attempts = 0
        public var nextAttemptAt: Double
        public var lastError: String?
        public var transitions: [Transition]
        /// Every alert the sinks know as firing when this was queued: the group's
        /// whole current list, which the webhook body carries beside the changes.
        /// Nil in files from before group_wait.
        public var firing: [AlertState]?

        /// `holdFor`: group_wait, the time a first change waits for others to join it.
        public init(sink: String, createdAt: Double, transitions: [Transition], firing: [AlertState]? = nil, holdFor: Double = 0) {
            self.sink = sink
            self.createdAt = createdAt
            nextAttemptAt = createdAt + holdFor
            self.transitions = transitions
            self.firing = firing
        }

        /// This entry with the changes of `later` ones (queued after it, in order)
        /// folded in: one notification with one line per alert, saying where each
        /// alert stands now, and the newest entry's firing list. The entry keeps its
        /// own age, so NotificationsFailing and give_up_after count from the oldest change.
        public func absorbing(_ later: [Entry]) -> Entry {
            var merged = self
            merged.transitions = Transition.coalesced(transitions + later.flatMap(\.transitions))
            merged.firing = later.last(where: { $0.firing != nil })?.firing ?? firing
            return merged
        }
    }

    private static let sequence = Mutex(0)

    func sinkDirectory(_ sink: String) -> String { directory + "/" + sink }

    @discardableResult
    func makeSinkDirectory(_ sink: String) throws -> String {
        let folder = sinkDirectory(sink)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        return folder
    }

    /// Queues `transitions` for `sink`. Returns the entry's file name, and the
    /// names of entries dropped to keep the bound.
    @discardableResult
    public func enqueue(_ transitions: [Transition], sink: String, now: Double, firing: [AlertState]? = nil,
                        holdFor: Double = 0) throws -> (name: String, dropped: [String]) {
        let folder = try makeSinkDirectory(sink)
        let number = Self.sequence.withLock { value -> Int in
            value += 1
            return value
        }
        let milliseconds = String(Int(now * 1000))
        let name = String(repeating: "0", count: max(0, 14 - milliseconds.count)) + milliseconds
            + "-" + Format.zeroPadded(number % 1_000_000, width: 6) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) + ".json"
        let entry = Entry(sink: sink, createdAt: now, transitions: transitions, firing: firing, holdFor: holdFor)
        try write(entry, name: name)
        var dropped: [String] = []
        let names = self.names(sink: sink)
        if names.count > Self.maxPerSink {
            for old in names.prefix(names.count - Self.maxPerSink) {
                unlink(folder + "/" + old)
                dropped.append(old)
            }
        }
        return (name, dropped)
    }

    /// The sink's queued entries, oldest first.
    public func names(sink: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sinkDirectory(sink))) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    /// When an entry was queued, from its name (Unix seconds).
    public static func createdAt(name: String) -> Int? {
        name.split(separator: "-").first.flatMap { Int($0) }.map { $0 / 1000 }
    }

    public func read(sink: String, name: String) -> Entry? {
        guard let data = FileManager.default.contents(atPath: sinkDirectory(sink) + "/" + name) else { return nil }
        return try? Self.decoder.decode(Entry.self, from: data)
    }

    public func write(_ entry: Entry, name: String) throws {
        var data = try Self.encoder.encode(entry)
        data.append(0x0A)
        try AtomicFile.write(data, to: sinkDirectory(entry.sink) + "/" + name, mode: 0o640)
    }

    /// The sinks that have a queue here.
    public func sinks() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Moves one entry, under its own name (so it keeps its place in the order),
    /// into `other`: written there first, then removed here, so a crash between
    /// the two can repeat a notification but never lose one.
    public func move(sink: String, name: String, to other: Outbox) throws {
        guard let entry = read(sink: sink, name: name) else { return }
        try other.makeSinkDirectory(sink)
        try other.write(entry, name: name)
        remove(sink: sink, name: name)
    }

    public func remove(sink: String, name: String) {
        unlink(sinkDirectory(sink) + "/" + name)
    }

    /// Moves an unreadable entry out of the queue (kept, renamed `.corrupt`), so it
    /// neither blocks the notifications behind it nor vanishes unseen.
    public func setAside(sink: String, name: String) {
        let path = sinkDirectory(sink) + "/" + name
        rename(path, path + ".corrupt")
    }

    /// Each sink's undelivered notifications: how many, and the oldest's age.
    public func backlog(sinks: [String]) -> [Observation.OutboxBacklog] {
        sinks.compactMap { sink in
            let names = names(sink: sink)
            guard let first = names.first, let oldest = Self.createdAt(name: first) else { return nil }
            return Observation.OutboxBacklog(sink: sink, count: names.count, oldest: oldest)
        }
    }

    /// Exclusive use of one entry while it is being delivered, across threads and
    /// processes (an flock on the file). A reload's old courier, a second watchdog,
    /// `btcrate run` beside a unit: whoever does not hold the claim leaves the
    /// entry alone, so no notification is sent twice by two couriers at once.
    public final class Claim: Sendable {
        let descriptor: Int32

        init(descriptor: Int32) { self.descriptor = descriptor }

        deinit { close(descriptor) }   // closing releases the lock
    }

    /// Nil when another courier holds the entry, or it is gone.
    public func claim(sink: String, name: String) -> Claim? {
        let path = sinkDirectory(sink) + "/" + name
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        // The holder before us may have removed the file, or replaced it with an
        // updated copy, after we opened it: the claim counts only on the current file.
        var held = stat(), current = stat()
        guard fstat(descriptor, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino else {
            close(descriptor)
            return nil
        }
        return Claim(descriptor: descriptor)
    }

    /// The wait before attempt `attempts + 1`: doubling from `base`, at most 5 minutes.
    public static func backoff(afterFailures attempts: Int, base: Double) -> Double {
        min(300, base * pow(2, Double(max(0, attempts - 1))))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
