import FoundationEssentials
import Synchronization
import Glibc
import Dispatch

/// Wakes a waiting loop (the evaluation loop, an outbox courier): at a timeout,
/// on an event (a write by the collector, a new notification), or at shutdown.
final class WakeSignal: @unchecked Sendable {
    private let lock = Mutex(())
    private var waiter: CheckedContinuation<Bool, Never>?
    private var pendingEvent = false
    private var stopping = false
    private var generation = 0

    /// Shutdown: wakes the loop now and makes every later wait return at once.
    func stop() {
        lock.withLock { _ in stopping = true }
        signal(event: false)
    }

    /// `event`: true for a write by the collector, false for a timeout or shutdown.
    func signal(event: Bool, generation expected: Int? = nil) {
        let continuation: CheckedContinuation<Bool, Never>? = lock.withLock { _ in
            if let expected, expected != generation { return nil }   // a stale timeout
            guard let waiter else {
                if event { pendingEvent = true }
                return nil
            }
            self.waiter = nil
            return waiter
        }
        continuation?.resume(returning: event)
    }

    /// Returns true when woken by an event.
    func wait(seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            let ticket: Int? = lock.withLock { _ in
                if stopping { return nil }
                if pendingEvent {
                    pendingEvent = false
                    return nil
                }
                generation += 1
                waiter = continuation
                return generation
            }
            guard let ticket else { return continuation.resume(returning: lock.withLock { _ in !stopping }) }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                signal(event: false, generation: ticket)
            }
        }
    }
}
