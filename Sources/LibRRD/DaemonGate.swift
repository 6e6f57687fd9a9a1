import CRRD
import Dispatch
import Synchronization

/// Every call to rrdcached goes through this gate: one worker at a time (librrd
/// keeps a single daemon connection per process in global state, so the calls
/// are serial anyway), a deadline for each call, and a bound on waiting calls.
///
/// librrd has no timeout of its own: a daemon that is stopped (SIGSTOP) or wedged
/// blocks its read(2) forever. A caller whose deadline passes gets an `RRDError`
/// with `timedOut` at once, and the worker is abandoned to finish, or not, on its
/// own. Calls queued behind it fail when their own deadlines pass, and new calls
/// fail at once while it stays stuck, so a hung daemon never piles up threads.
final class DaemonGate: Sendable {
    static let shared = DaemonGate()

    /// Calls that may wait for the worker at one time; more fail at once.
    static let maxWaiting = 256

    private struct State {
        /// When the call the worker is running began; nil when it is idle.
        var busySince: ContinuousClock.Instant?
        var waiting = 0
    }

    private let queue = DispatchQueue(label: "btcrate.rrdcached")
    private let state = Mutex(State())

    /// Runs `body` on the worker, waiting at most `timeout` seconds (blocking the
    /// calling thread, which must not be one of the cooperative pool's).
    func perform(_ call: String, path: String, address: String, timeout: Double,
                 _ body: @escaping @Sendable () throws -> Void) throws {
        let ticket = try enqueue(call, path: path, address: address, timeout: timeout, body)
        let done = DispatchSemaphore(value: 0)
        ticket.onFinish { _ in done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            try ticket.finish(.failure(Self.timeoutError(call, path: path, address: address, timeout: timeout))).get()
        }
        try ticket.result!.get()
    }

    /// The same, suspending the task instead of blocking a thread.
    func perform(_ call: String, path: String, address: String, timeout: Double,
                 _ body: @escaping @Sendable () throws -> Void) async throws {
        let ticket = try enqueue(call, path: path, address: address, timeout: timeout, body)
        let result: Result<Void, RRDError> = await withCheckedContinuation { continuation in
            ticket.onFinish { continuation.resume(returning: $0) }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                ticket.finish(.failure(Self.timeoutError(call, path: path, address: address, timeout: timeout)))
            }
        }
        try result.get()
    }

    private func enqueue(_ call: String, path: String, address: String, timeout: Double,
                         _ body: @escaping @Sendable () throws -> Void) throws -> Ticket {
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
                try body()
                result = .success(())
            } catch let error as RRDError {
                result = .failure(error)
            } catch {
                result = .failure(RRDError(call: call, path: path, message: "\(error)"))
            }
            if case .failure = result {
                // After a daemon restart librrd keeps its dead socket and fails every
                // later call; dropping the connection makes the next call dial again.
                rrdc_disconnect()
            }
            state.withLock { $0.busySince = nil }
            ticket.finish(result)
        }
        return ticket
    }

    private static func timeoutError(_ call: String, path: String, address: String, timeout: Double) -> RRDError {
        RRDError(call: call, path: path,
                 message: "rrdcached at \(address) did not answer within \(Self.format(timeout)) s (storage.rrdcached_timeout): the daemon is stopped, hung or overloaded",
                 timedOut: true)
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
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
