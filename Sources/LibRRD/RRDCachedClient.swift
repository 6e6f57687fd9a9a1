import Glibc
import Synchronization

/// Writes and reads through an rrdcached daemon, over its unix socket or TCP.
///
/// Every call goes through the daemon's `DaemonGate`: one at a time on that
/// daemon's own connection (`RRDCachedSocket`), each under `timeout` seconds. A
/// stopped daemon fails the call as `timedOut` instead of hanging the process,
/// and calls to other daemons go on. `rrd_update_r` and `rrd_fetch_r` ignore the
/// daemon: use this client for writes, `last` for the newest update time, and
/// `flush` (or `fetch`, which flushes) before reading values the daemon may hold.
///
/// Errors keep the names of librrd's calls (`rrdc_last`, `rrdc_update`, ...) and
/// the daemon's own words ("No such file", "File exists", "illegal attempt to
/// update using time"), which `RRDError` tells apart.
public final class RRDCachedClient: Sendable {
    /// `unix:/path/to.sock`, `/path/to.sock` or `host:port`, as rrdcached's `-l`.
    public let address: String
    /// Seconds one call may take, queueing for the connection included.
    public let timeout: Double

    public init(address: String, timeout: Double = 10) {
        self.address = address
        self.timeout = timeout
    }

    /// Queues rows (`TIME:v1:v2:...`) for a file. On a unix socket paths must be
    /// absolute: the daemon resolves relative ones against its own base directory.
    /// Rows go in as few UPDATE commands as the daemon's line limit allows.
    public func update(file: RRDFile, rows: [String]) throws {
        var batch: [String] = []
        var length = "UPDATE ".utf8.count + file.path.utf8.count + 1
        for row in rows {
            if !batch.isEmpty && length + row.utf8.count + 1 > RRDCachedSocket.maxRequestBytes {
                try command("rrdc_update", ["UPDATE", file.path] + batch, file)
                batch.removeAll()
                length = "UPDATE ".utf8.count + file.path.utf8.count + 1
            }
            batch.append(row)
            length += row.utf8.count + 1
        }
        if !batch.isEmpty { try command("rrdc_update", ["UPDATE", file.path] + batch, file) }
    }

    /// Returns once the daemon has written everything it holds for the file.
    public func flush(file: RRDFile) throws {
        try command("rrdc_flush", ["FLUSH", file.path], file)
    }

    /// `flush` for async callers: the task waits, no thread is blocked.
    public func flush(file: RRDFile) async throws {
        try await command("rrdc_flush", ["FLUSH", file.path], file)
    }

    /// The file's last update time as the daemon knows it (LAST), its queued
    /// updates included, without writing anything out. The daemon rounds it down
    /// to the step.
    public func last(file: RRDFile) throws -> Int {
        try Self.time(command("rrdc_last", ["LAST", file.path], file), "rrdc_last", file)
    }

    /// `last` for async callers: the task waits, no thread is blocked.
    public func last(file: RRDFile) async throws -> Int {
        try Self.time(await command("rrdc_last", ["LAST", file.path], file), "rrdc_last", file)
    }

    /// The time of the first row of archive `archive` (FIRST).
    public func first(file: RRDFile, archive: Int = 0) throws -> Int {
        try Self.time(command("rrdc_first", ["FIRST", file.path, "\(archive)"], file), "rrdc_first", file)
    }

    /// Whether the address is TCP (`host:port`, `[v6]:port`), as opposed to a
    /// unix socket (`unix:/path` or `/path`). Over TCP the daemon refuses
    /// absolute paths: files are named relative to its base directory (`-b`).
    public var isTCP: Bool { Self.isTCP(address) }

    public static func isTCP(_ address: String) -> Bool {
        !address.hasPrefix("unix:") && !address.hasPrefix("/")
    }

    /// Creates the file on the daemon (CREATE), never over an existing one (`-O`,
    /// even when the daemon runs without it): the daemon answers "File exists"
    /// (`RRDError.isAlreadyThere`). librrd's plain create is local only; this one
    /// works over TCP and never falls back.
    public func create(file: RRDFile, step: Int, start: Int, definitions: [String]) throws {
        try command("rrdc_create_r2", ["CREATE", file.path, "-b", "\(start)", "-s", "\(step)", "-O"] + definitions, file)
    }

    /// The file's rows through the daemon (FETCH, which flushes the file first).
    /// The daemon ignores a requested resolution: it answers from the finest
    /// archive that covers the range (a year is 52,560 ten-minute rows).
    public func fetch(file: RRDFile, consolidation: String, start: Int, end: Int) throws -> RRDSeries {
        let answer = try command("rrdc_fetch", ["FETCH", file.path, consolidation, "\(start)", "\(end)"], file)
        guard let series = Self.series(answer.lines) else {
            throw RRDError(call: "rrdc_fetch", path: file.path, message: "rrdcached at \(address) sent a FETCH answer that does not read")
        }
        return series
    }

    /// Makes the daemon drop what it knows of a file, needed after a file is
    /// re-created (or rewound) under a running daemon.
    public func forget(file: RRDFile) throws {
        do {
            try command("rrdc_forget", ["FORGET", file.path], file)
        } catch let error as RRDError where error.call == "rrdc_forget" && error.message.hasSuffix("No such file or directory") {
            // The daemon held nothing for this file: nothing to forget. (A missing
            // socket fails earlier, in rrdc_connect.)
        }
    }

    // MARK: - One command through the gate

    private var gate: DaemonGate { DaemonGate.forAddress(address) }

    /// Over TCP a path is relative to the daemon's `-b`; an absolute one would reach
    /// any file a daemon started without `-B` may open (librrd refused it too).
    private func checkPath(_ call: String, _ file: RRDFile) throws {
        if isTCP && file.path.hasPrefix("/") {
            throw RRDError(call: call, path: file.path,
                           message: "rrdcached over TCP takes no absolute path: name the file relative to the daemon's base directory (-b)")
        }
    }

    @discardableResult
    private func command(_ call: String, _ words: [String], _ file: RRDFile) throws -> RRDCachedSocket.Answer {
        try checkPath(call, file)
        let box = AnswerBox()
        let timeout = timeout
        try gate.perform(call, path: file.path, timeout: timeout) { connection in
            box.set(try Self.send(connection, call, words, file, timeout))
        }
        return try box.get(call, file)
    }

    @discardableResult
    private func command(_ call: String, _ words: [String], _ file: RRDFile) async throws -> RRDCachedSocket.Answer {
        try checkPath(call, file)
        let box = AnswerBox()
        let timeout = timeout
        try await gate.perform(call, path: file.path, timeout: timeout) { connection in
            box.set(try Self.send(connection, call, words, file, timeout))
        }
        return try box.get(call, file)
    }

    /// Runs on the gate's worker. A negative status is the daemon's refusal, in its words.
    private static func send(_ connection: DaemonConnection, _ call: String, _ words: [String], _ file: RRDFile,
                             _ timeout: Double) throws -> RRDCachedSocket.Answer {
        let answer = try connection.socket.request(words, call: call, path: file.path, timeout: timeout)
        guard answer.status >= 0 else {
            throw RRDError(call: call, path: file.path, message: "rrdcached@\(connection.address): \(answer.message)")
        }
        return answer
    }

    /// Carries an answer out of the gate's worker.
    private final class AnswerBox: Sendable {
        private let answer = Mutex<RRDCachedSocket.Answer?>(nil)
        func set(_ new: RRDCachedSocket.Answer) { answer.withLock { $0 = new } }
        func get(_ call: String, _ file: RRDFile) throws -> RRDCachedSocket.Answer {
            guard let answer = answer.withLock({ $0 }) else {
                throw RRDError(call: call, path: file.path, message: "no answer")
            }
            return answer
        }
    }

    // MARK: - Reading answers

    /// LAST and FIRST answer `0 <unix time>`.
    private static func time(_ answer: RRDCachedSocket.Answer, _ call: String, _ file: RRDFile) throws -> Int {
        guard let time = Int(answer.message.prefix { !$0.isWhitespace }), time >= 0 else {
            throw RRDError(call: call, path: file.path, message: "rrdcached answered \"\(answer.message.prefix(200))\", not a time")
        }
        return time
    }

    /// FETCH's lines: `Key: value` headers (Start, End, Step, DSCount, DSName),
    /// then one `TIME: v1 v2 ...` row per step, the first ending one step after Start.
    static func series(_ lines: [String]) -> RRDSeries? {
        var header: [String: String] = [:]
        var rows: [[Double]] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            if key.first?.isNumber == true {
                rows.append(value.split(separator: " ").map { word in word.withCString { strtod($0, nil) } })
            } else {
                header[String(key)] = String(value)
            }
        }
        guard let start = header["Start"].flatMap({ Int($0) }), let end = header["End"].flatMap({ Int($0) }),
              let step = header["Step"].flatMap({ Int($0) }), step > 0 else { return nil }
        let names = (header["DSName"] ?? "").split(separator: " ").map(String.init)
        guard rows.allSatisfy({ $0.count == names.count }) else { return nil }
        return RRDSeries(start: start, end: end, step: step, dataSources: names, rows: rows)
    }
}
