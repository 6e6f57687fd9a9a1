import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An operator's "I know, stop telling the receivers" for one alert name, on one
/// pair or on all, for a while. As in Alertmanager, a silence mutes the sinks
/// only: the alert is still evaluated, journaled and listed.
public struct Silence: Codable, Sendable, Equatable {
    public let id: String
    public let alert: AlertName
    /// Nil: every pair (and the stack alert of that name).
    public let pair: String?
    public let startsAt: Int
    /// Unix seconds; `unsilence` sets it to the moment it ran.
    public var endsAt: Int
    public let comment: String?
    /// Who made it: $SUDO_USER or $USER of the `btcrate alerts silence` run.
    public let createdBy: String?

    public init(id: String, alert: AlertName, pair: String?, startsAt: Int, endsAt: Int, comment: String?, createdBy: String?) {
        self.id = id
        self.alert = alert
        self.pair = pair
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.comment = comment
        self.createdBy = createdBy
    }

    public func isActive(at now: Int) -> Bool { startsAt <= now && now < endsAt }

    public func matches(_ key: AlertKey) -> Bool { key.name == alert && (pair == nil || pair == key.pair) }
}

/// `<state directory>/silences.json`: written by `btcrate alerts silence` and
/// `unsilence`, read by the watchdog at every evaluation (inotify wakes it on a
/// change). Changes hold an flock on `silences.lock`, so that two operators at
/// once lose neither's silence.
public struct SilenceStore: Sendable {
    public static let fileName = "silences.json"
    public static let lockName = "silences.lock"
    /// Ended silences are kept this long, so `alerts silences` can still show them.
    public static let keepEnded = 86_400

    public let path: String
    let directory: String

    public init(stateDirectory: String) {
        directory = stateDirectory.trimmingTrailingSlashes
        path = directory + "/" + Self.fileName
    }

    public struct ReadError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    struct Document: Codable {
        var version = 1
        var silences: [Silence]
    }

    /// Every silence in the file, ended ones too. No file: none. A file that
    /// cannot be read or decoded throws: the watchdog then says so and mutes nothing.
    public func load() throws(ReadError) -> [Silence] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
        }
        do {
            return try StateFileJSON.decoder.decode(Document.self, from: data).silences
        } catch {
            throw ReadError(path: path, reason: "is not a silences file (\(error))")
        }
    }

    /// Adds a silence under the lock; returns it.
    public func add(_ alert: AlertName, pair: String?, duration: Int, comment: String?, createdBy: String?, now: Int) throws -> Silence {
        let silence = Silence(id: UUID().uuidString.lowercased(), alert: alert, pair: pair, startsAt: now,
                              endsAt: now + duration, comment: comment, createdBy: createdBy)
        try change(now: now) { $0.append(silence) }
        return silence
    }

    public enum EndResult: Equatable, Sendable {
        case ended(Silence)
        case notFound
        /// The prefix names more than one active silence: their ids.
        case ambiguous([String])
    }

    /// Ends the active silence whose id is `id` or starts with it.
    public func end(id: String, now: Int) throws -> EndResult {
        var result = EndResult.notFound
        try change(now: now) { silences in
            let matches = silences.indices.filter { silences[$0].isActive(at: now) && silences[$0].id.hasPrefix(id.lowercased()) }
            if matches.count > 1 {
                result = .ambiguous(matches.map { silences[$0].id })
            } else if let index = matches.first {
                silences[index].endsAt = now
                result = .ended(silences[index])
            }
        }
        return result
    }

    /// Read, change and write back under the lock; ended silences older than a
    /// day go on the way. The file is 0644: the watchdog's user reads what root wrote.
    func change(now: Int, _ body: (inout [Silence]) -> Void) throws {
        let lockPath = directory + "/" + Self.lockName
        // O_RDONLY is enough for flock, and works on a lock file another user created.
        let lock = open(lockPath, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw AtomicFile.WriteError(call: "open", path: lockPath, code: errno) }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw AtomicFile.WriteError(call: "flock", path: lockPath, code: errno) }
        }
        var silences = try load()
        body(&silences)
        silences.removeAll { now - $0.endsAt > Self.keepEnded }
        var data = try StateFileJSON.encoder.encode(Document(silences: silences))
        data.append(0x0A)
        try AtomicFile.write(data, to: path, mode: 0o644)
        Self.giveToDirectoryOwner([path, lockPath], directory: directory)
    }

    /// Run as root in a state directory that belongs to the service user, leave
    /// the files to that user too, as if the service had written them.
    static func giveToDirectoryOwner(_ paths: [String], directory: String) {
        guard geteuid() == 0 else { return }
        var owner = stat()
        guard stat(directory, &owner) == 0, owner.st_uid != 0 else { return }
        for path in paths { _ = chown(path, owner.st_uid, owner.st_gid) }
    }
}
