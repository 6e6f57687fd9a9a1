import Foundation

/// A lock that async tests can hold across awaits. Tests that set a process-wide
/// environment variable (NOTIFY_SOCKET) take it, because suites run in parallel
/// in one process and sd_notify reads the variable at each call.
public final class AsyncLock: @unchecked Sendable {
    private let lock = NSLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if locked {
                waiters.append(continuation)
                lock.unlock()
            } else {
                locked = true
                lock.unlock()
                continuation.resume()
            }
        }
        defer { release() }
        return try await body()
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if waiters.isEmpty {
                locked = false
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }

    /// Held by every test that sets NOTIFY_SOCKET or WATCHDOG_USEC.
    public static let notifyEnvironment = AsyncLock()
}
