import Dispatch
import Synchronization

/// Every call to one rrdcached daemon goes through its gate: one worker at a
/// time on the gate's own connection (`RRDCachedSocket`), a deadline for each
/// call, and a bound on waiting calls.
///
/// One gate per daemon address, not one per process: pairs sharded over two
/// storage hosts must not wait for each other.
///
/// The socket has the call's deadline on every connect, write and read; the gate
/// adds one for the wait in its queue. A caller whose deadline passes gets an
/// `RRDError` with `timedOut` at once, and the worker finishes on its own (by its
/// socket's deadline). Calls queued behind it fail when their own deadlines pass,
/// and new calls fail at once while it stays stuck, so a hung daemon never piles
/// up threads.
final class DaemonGate: Sendable {
    /// Calls that may wait for the worker at one time; more fail at once.
    static let maxWaiting = 256

    private static let gates = Mutex<[String: DaemonGate]>([:])

    /// The gate of the daemon at `address` (one per address for the process's life:
    /// the addresses come from the configuration, a handful at most).
    static func forAddress(_ address: String) -> DaemonGate {
        gates.withLock { gates in
            if let gate = gates[address] { return gate }
            let gate = DaemonGate(address: address)
            gates[address] = gate
            return gate
        }
    }

    private struct State {
        /// When the call the worker is running began; nil when it is idle.
        var busySince: ContinuousClock.Instant?
        var waiting = 0
    }

    let address: String
    private let queue: DispatchQueue
    private let state = Mutex(State())
    /// Touched only on `queue`.
    private let connection: DaemonConnection

    init(address: String) {
        self.address = address
        queue = DispatchQueue(label: "btcrate.rrdcached \(address)")
        connection = DaemonConnection(address: address)
    }

    /// Runs `body` on the worker, waiting at most `timeout` seconds (blocking the
    /// calling thread, which must not be one of the cooperative pool's).
    func perform(_ call: String, path: String, timeout: Double,
                 _ body: @escaping @Sendable (DaemonConnection) throws -> Void) throws {
        let ticket = try enqueue(call, path: path, timeout: timeout, body)
        let done = DispatchSemaphore(value: 0)
        ticket.onFinish { _ in done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            try ticket.finish(.failure(Self.timeoutError(call, path: path, address: self.address, timeout: timeout))).get()
        }
        try ticket.result!.get()
    }

    /// The same, suspending the task instead of blocking a thread.
    func perform(_ call: String, path: String, timeout: Double,
                 _ body: @escaping @Sendable (DaemonConnection) throws -> Void) async throws {
        let ticket = try enqueue(call, path: path, timeout: timeout, body)
        let result: Result<Void, RRDError> = await withCheckedContinuation { continuation in
            ticket.onFinish { continuation.resume(returning: $0) }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                ticket.finish(.failure(Self.timeoutError(call, path: path, address: self.address, timeout: timeout)))
            }
        }
        try result.get()
    }

    private func enqueue(_ call: String, path: String, timeout: Double,
                         _ body: @escaping @Sendable (DaemonConnection) throws -> Void) throws -> Ticket {
        let address = address
        let refusal = state.withLock { state -> RRDError? in
            if let since = state.busySince, (ContinuousClock.now - since) > .seconds(timeout) {
                let stuck = (ContinuousClock.now - since).components.seconds
                return RRDError(call: call, path: path, message: "rrdcached at \(address) has not answered an earlier request for \(stuck) s: the daemon is stopped, hung or overloaded", timedOut: true)
            }
            if state.waiting >= Self.maxWaiting {
                return RRDError(call: call, path: path, message: "\(state.waiting) requests are already waiting for rrdcached at \(address)", timedOut: true)
            }
            state.waiting += 1
            return nil
        }
        if let refusal { throw refusal }
        let ticket = Ticket()
        queue.async { [self] in
            state.withLock { $0.waiting -= 1 }
            // Its caller gave up while it waited: skip it rather than add to a backlog.
            guard ticket.result == nil else { return }
            state.withLock { $0.busySince = .now }
            let result: Result<Void, RRDError>
            do {
                try body(connection)
                result = .success(())
            } catch let error as RRDError {
                result = .failure(error)
            } catch {
                result = .failure(RRDError(call: call, path: path, message: "\(error)"))
            }
            state.withLock { $0.busySince = nil }
            ticket.finish(result)
        }
        return ticket
    }

    /// The one wording of a missed deadline, for the gate and the socket alike.
    static func timeoutError(_ call: String, path: String, address: String, timeout: Double) -> RRDError {
        RRDError(call: call, path: path,
                 message: "rrdcached at \(address) did not answer within \(Self.format(timeout)) s (storage.rrdcached_timeout): the daemon is stopped, hung or overloaded",
                 timedOut: true)
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }
}

/// The connection to one daemon. Used only on its gate's worker, one call at
/// a time, hence unchecked.
final class DaemonConnection: @unchecked Sendable {
    let address: String
    let socket: RRDCachedSocket

    init(address: String) {
        self.address = address
        socket = RRDCachedSocket(address: address)
    }
}

/// One call's outcome, set exactly once: by the worker, or by the deadline.
private final class Ticket: Sendable {
    private struct State {
        var result: Result<Void, RRDError>?
        var waiter: (@Sendable (Result<Void, RRDError>) -> Void)?
    }

    private let state = Mutex(State())

    var result: Result<Void, RRDError>? { state.withLock { $0.result } }

    /// Calls `waiter` once the outcome is known (at once, if it already is).
    func onFinish(_ waiter: @escaping @Sendable (Result<Void, RRDError>) -> Void) {
        let known = state.withLock { state -> Result<Void, RRDError>? in
            if state.result == nil { state.waiter = waiter }
            return state.result
        }
        if let known { waiter(known) }
    }

    /// Sets the outcome unless it is already set; returns the one that stands.
    @discardableResult
    func finish(_ result: Result<Void, RRDError>) -> Result<Void, RRDError> {
        let (standing, waiter) = state.withLock { state -> (Result<Void, RRDError>, (@Sendable (Result<Void, RRDError>) -> Void)?) in
            if let existing = state.result { return (existing, nil) }
            state.result = result
            defer { state.waiter = nil }
            return (result, state.waiter)
        }
        waiter?(standing)
        return standing
    }
}
