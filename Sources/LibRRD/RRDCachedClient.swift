import CRRD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes and flushes through an rrdcached daemon (`rrdc_*`).
///
/// librrd keeps one daemon connection per process in global state and has no
/// timeout, so every call goes through `DaemonGate`: one at a time, each under
/// `timeout` seconds (a stopped daemon fails the call as `timedOut` instead of
/// hanging the process). `rrd_update_r` and `rrd_fetch_r` ignore the daemon: use
/// this client for writes, `last` for the newest update time, and `flush` before
/// reading a file's values the daemon may hold.
public final class RRDCachedClient: Sendable {
    /// `unix:/path/to.sock`, `/path/to.sock` or `host:port`, as rrdcached's `-l`.
    public let address: String
    /// Seconds one call may take, queueing for the connection included.
    public let timeout: Double

    public init(address: String, timeout: Double = 10) {
        self.address = address
        self.timeout = timeout
        // librrd's client writes to the daemon's socket with plain write(2): a
        // daemon that hangs up would raise SIGPIPE and kill the whole process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Queues rows (`TIME:v1:v2:...`) for a file. Paths must be absolute: the
    /// daemon resolves relative ones against its own base directory.
    public func update(file: RRDFile, rows: [String]) throws {
        guard !rows.isEmpty else { return }
        try call("rrdc_update", file) {
            let argv = CStringArray(rows)
            return argv.withConst { pointer in
                pointer.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: rows.count + 1) {
                    rrdc_update(file.path, argv.count, $0)
                }
            }
        }
    }

    /// Returns once the daemon has written everything it holds for the file.
    public func flush(file: RRDFile) throws {
        try call("rrdc_flush", file) { rrdc_flush(file.path) }
    }

    /// The file's last update time as the daemon knows it (LAST), its queued
    /// updates included, without writing anything out. The daemon rounds it down
    /// to the step.
    public func last(file: RRDFile) throws -> Int {
        let answer = Answer()
        try DaemonGate.shared.perform("rrdc_last", path: file.path, address: address, timeout: timeout,
                                      Self.lastCall(address, file, answer))
        return answer.get()
    }

    /// `last` for async callers: the task waits, no thread is blocked.
    public func last(file: RRDFile) async throws -> Int {
        let answer = Answer()
        try await DaemonGate.shared.perform("rrdc_last", path: file.path, address: address, timeout: timeout,
                                            Self.lastCall(address, file, answer))
        return answer.get()
    }

    private static func lastCall(_ address: String, _ file: RRDFile, _ answer: Answer) -> @Sendable () throws -> Void {
        {
            try connected(to: address, "rrdc_last", file) {
                let time = rrdc_last(file.path)   // -1 on failure
                answer.set(Int(time))
                return time > 0 ? 0 : -1
            }
        }
    }

    /// Carries a value out of the gate's worker.
    private final class Answer: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func set(_ new: Int) { lock.withLock { value = new } }
        func get() -> Int { lock.withLock { value } }
    }

    /// `flush` for async callers: the task waits, no thread is blocked.
    public func flush(file: RRDFile) async throws {
        let address = address
        try await DaemonGate.shared.perform("rrdc_flush", path: file.path, address: address, timeout: timeout) {
            try Self.connected(to: address, "rrdc_flush", file) { rrdc_flush(file.path) }
        }
    }

    /// Whether the address is TCP (`host:port`, `[v6]:port`), as opposed to a
    /// unix socket (`unix:/path` or `/path`). Over TCP the daemon refuses
    /// absolute paths: files are named relative to its base directory (`-b`).
    public var isTCP: Bool { Self.isTCP(address) }

    public static func isTCP(_ address: String) -> Bool {
        !address.hasPrefix("unix:") && !address.hasPrefix("/")
    }

    /// Creates the file on the daemon (CREATE), never over an existing one: the
    /// daemon answers "File exists" (`RRDError.alreadyExists`). librrd's plain
    /// create is local only; this one works over TCP and never falls back.
    public func create(file: RRDFile, step: Int, start: Int, definitions: [String]) throws {
        try call("rrdc_create_r2", file) {
            // no_overwrite = 1: the daemon refuses to replace an existing file, even
            // when it runs without -O.
            let argv = CStringArray(definitions)
            return argv.withConst { rrdc_create_r2(file.path, UInt(step), time_t(start), 1, nil, nil, argv.count, $0) }
        }
    }

    /// The file's rows through the daemon (FETCH, which flushes the file first).
    /// The daemon ignores a requested resolution: it answers from the finest
    /// archive that covers the range (a year is 52,560 ten-minute rows).
    public func fetch(file: RRDFile, consolidation: String, start: Int, end: Int) throws -> RRDSeries {
        let answer = Rows()
        let address = address
        try DaemonGate.shared.perform("rrdc_fetch", path: file.path, address: address, timeout: timeout) {
            try Self.connected(to: address, "rrdc_fetch", file) {
                var from = time_t(start), to = time_t(end)
                var step: UInt = 0, count: UInt = 0
                var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
                var data: UnsafeMutablePointer<rrd_value_t>?
                let status = rrdc_fetch(file.path, consolidation, &from, &to, &step, &count, &names, &data)
                guard status == 0 else { return status }
                answer.set(RRDSeries.take(start: Int(from), end: Int(to), step: Int(step), dsCount: Int(count), names: names, data: data))
                return 0
            }
        }
        return answer.get()
    }

    /// The time of the first row of archive `archive` (FIRST).
    public func first(file: RRDFile, archive: Int = 0) throws -> Int {
        let answer = Answer()
        let address = address
        try DaemonGate.shared.perform("rrdc_first", path: file.path, address: address, timeout: timeout) {
            try Self.connected(to: address, "rrdc_first", file) {
                let time = rrdc_first(file.path, Int32(archive))
                answer.set(Int(time))
                return time >= 0 ? 0 : -1
            }
        }
        return answer.get()
    }

    /// Carries a series out of the gate's worker.
    private final class Rows: @unchecked Sendable {
        private let lock = NSLock()
        private var series = RRDSeries(start: 0, end: 0, step: 0, dataSources: [], rows: [])
        func set(_ new: RRDSeries) { lock.withLock { series = new } }
        func get() -> RRDSeries { lock.withLock { series } }
    }

    /// Makes the daemon drop what it knows of a file, needed after a file is
    /// re-created (or rewound) under a running daemon.
    public func forget(file: RRDFile) throws {
        do {
            try call("rrdc_forget", file) { rrdc_forget(file.path) }
        } catch let error as RRDError where error.call == "rrdc_forget" && error.message.hasSuffix("No such file or directory") {
            // The daemon held nothing for this file: nothing to forget. (A missing
            // socket fails earlier, in rrdc_connect.)
        }
    }

    private func call(_ name: String, _ file: RRDFile, _ body: @escaping @Sendable () -> Int32) throws {
        let address = address
        try DaemonGate.shared.perform(name, path: file.path, address: address, timeout: timeout) {
            try Self.connected(to: address, name, file, body)
        }
    }

    /// Runs on the gate's worker: connect (a no-op while connected), then the call.
    private static func connected(to address: String, _ name: String, _ file: RRDFile, _ body: () -> Int32) throws {
        _ = try withRRDErrorContext(call: "rrdc_connect", path: address, {
            rrdc_connect(address)
        }, failed: { $0 != 0 })
        _ = try withRRDErrorContext(call: name, path: file.path, body, failed: { $0 != 0 })
    }
}
