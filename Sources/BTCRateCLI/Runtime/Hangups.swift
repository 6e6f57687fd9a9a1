import FoundationEssentials
import Synchronization
import Glibc
import UnixSignals

/// SIGHUP for ReloadingService, from swift-service-lifecycle's UnixSignalsSequence,
/// handed out as one stream per round (a round is one running service; a wait
/// that is cancelled at the end of a round finishes the stream it iterated).
///
/// A signal is never lost between rounds: one that arrives while a reload is
/// under way (`beginReload`) or while no round listens waits, and the next round
/// (or the same one, if the reload was refused) sees it at once. Signals that come
/// faster than reloads fold into one: a reload reads the newest configuration anyway.
final class Hangups: Sendable {
    private let state = Guarded()
    private let forwarder: Task<Void, Never>

    /// Traps SIGHUP: its default action (terminate) is replaced before this returns,
    /// so a reload that systemd sends right after READY=1 never kills the process.
    static func trap() async -> Hangups {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let bridge = Task {
            for await _ in signals { continuation.yield() }
            continuation.finish()
        }
        return Hangups(stream, keepAlive: bridge)
    }

    /// `signals`: one element per SIGHUP (tests feed their own).
    init(_ signals: AsyncStream<Void>, keepAlive: Task<Void, Never>? = nil) {
        let state = self.state
        forwarder = Task {
            for await _ in signals { state.deliver() }
            keepAlive?.cancel()
        }
    }

    deinit { forwarder.cancel() }

    /// The stream for the round about to start; it already holds a signal that
    /// came while no round listened.
    func nextRound() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.listen(continuation)
        return stream
    }

    /// A reload starts: signals from now on wait for the round after it.
    func beginReload() { state.setPaused(true) }

    /// The reload was refused and the round goes on: what waited is delivered to it.
    func reloadRefused() { state.setPaused(false) }

    private final class Guarded: @unchecked Sendable {
        private let lock = Mutex(())
        private var continuation: AsyncStream<Void>.Continuation?
        private var paused = false
        private var pending = false

        func deliver() {
            lock.withLock { _ in
                if let continuation, !paused { continuation.yield() } else { pending = true }
            }
        }

        func listen(_ new: AsyncStream<Void>.Continuation) {
            lock.withLock { _ in
                continuation = new
                paused = false
                flush()
            }
        }

        func setPaused(_ value: Bool) {
            lock.withLock { _ in
                paused = value
                if !value { flush() }
            }
        }

        /// Under the lock.
        private func flush() {
            guard pending, let continuation else { return }
            pending = false
            continuation.yield()
        }
    }
}
