import NIOPosix
import Synchronization

/// The process's one pool for blocking calls: file reads and fsync, librrd's
/// thread-safe reads, sd-bus, libcurl transfers. It is NIO's `NIOThreadPool`,
/// started on first use, with a bound on the calls it holds.
///
/// Swift's cooperative pool has one thread per core. A call that blocks there
/// stalls every task queued behind it: a `/healthz` waits for a slow disk, a
/// watchdog evaluation for a hung D-Bus peer. Here it holds one of the pool's
/// own threads instead, and past `maxPending` a call is refused at once rather
/// than queued without end.
public enum Blocking {
    /// Calls running or waiting at one time; one more is refused (`Refused`).
    public static let maxPending = 1024

    /// Threads when nobody configured another number: blocking calls mostly wait
    /// (for a disk, a peer, the network), so a few more threads than cores.
    public static let defaultThreads = 8

    private static let requestedThreads = Mutex<Int?>(nil)
    private static let pending = Atomic<Int>(0)

    /// Started on first use, with the size `configure` set before it (swift_once
    /// makes the first use thread-safe).
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: requestedThreads.withLock { $0 } ?? defaultThreads)
        pool.start()
        return pool
    }()

    /// Sets the pool's thread count; only a call before the pool's first use
    /// has an effect (a command calls it at its start: the collector wants one
    /// thread per concurrent transfer).
    public static func configure(threads: Int) {
        requestedThreads.withLock { $0 = max(1, min(threads, 256)) }
    }

    /// Runs `body` on the pool and returns its result; throws `body`'s error, or
    /// `Refused` when `maxPending` calls are already in the pool.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let count = pending.add(1, ordering: .relaxed).newValue
        guard count <= maxPending else {
            pending.subtract(1, ordering: .relaxed)
            throw Refused(pending: count - 1)
        }
        defer { pending.subtract(1, ordering: .relaxed) }
        return try await pool.runIfActive(body)
    }

    /// Runs `body` on the pool, or on the calling thread when the pool is full:
    /// for work that must happen either way (an alert's state written to disk),
    /// where waiting on this thread beats not doing it.
    public static func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        do {
            return try await run(body)
        } catch {
            return body()
        }
    }

    /// Calls in the pool now (running or waiting), for metrics and tests.
    public static var inFlight: Int { pending.load(ordering: .relaxed) }

    /// The pool was full: the caller answers "busy" instead of waiting.
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public let pending: Int
        public var description: String {
            "\(pending) blocking calls are already waiting for a thread (the limit is \(Blocking.maxPending)): the process is overloaded or something it reads hangs"
        }
    }
}
