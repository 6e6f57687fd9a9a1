import BTCRateCore
import BlockingCalls
import FoundationEssentials
import Synchronization
import Glibc
import Logging

/// Delivers one sink's outbox, oldest first, one notification at a time, so the
/// sink hears of every change in order. A failure is kept and retried with a
/// doubling delay (at most 5 minutes apart) until notify.give_up_after; the
/// notifications behind it wait, which keeps "firing" ahead of its "resolved".
///
/// For a sink that batches, each attempt first folds every entry queued behind
/// the head into it (notify.group_wait): the sink gets one notification saying
/// where each alert stands now, and a receiver that was down hears of the
/// current state once, not of every step it missed.
final class OutboxCourier: Sendable {
    let sink: any AlertSink
    let outbox: Outbox
    let payloads: AlertPayloads
    let logger: Logger
    let clock: any WallClock
    let retryDelay: Double
    let giveUpAfter: Double
    /// notify.group_wait is on and the sink batches (see AlertSink.batches).
    let batching: Bool
    let wake = WakeSignal()
    private let mode = LockedValue(Mode.running)

    enum Mode { case running, draining, stopped }

    init(sink: any AlertSink, outbox: Outbox, payloads: AlertPayloads, logger: Logger, clock: any WallClock,
         retryDelay: Double, giveUpAfter: Double, batching: Bool = false) {
        self.sink = sink
        self.outbox = outbox
        self.payloads = payloads
        self.logger = logger
        self.clock = clock
        self.retryDelay = retryDelay
        self.giveUpAfter = giveUpAfter
        self.batching = batching
    }

    /// A new entry is queued: look now rather than at the next rescan.
    func poke() { wake.signal(event: true) }

    /// Shutdown, step 1: deliver what is due now, then return from `run`.
    func drain() {
        mode.set(.draining)
        wake.signal(event: true)
    }

    /// Shutdown, step 2 (the drain's time is up): return at the next step; what
    /// is left stays queued for the next watchdog.
    func stop() {
        mode.set(.stopped)
        wake.stop()
    }

    func run() async {
        while mode.get() != .stopped {
            let pause = await step()
            if mode.get() == .draining && pause > 0 { return }   // nothing due: the drain is done
            if pause > 0 { _ = await wake.wait(seconds: pause) }
        }
    }

    /// One look at the head of the queue; returns how long to wait before the next
    /// (0: go on at once). The queue is rescanned at least every 30 s, for entries
    /// that another process queued (the unit-failure notice). The outbox's files
    /// are read and written on the pool for blocking calls (`Blocking`); only the
    /// delivery awaits here.
    func step() async -> Double {
        let attempt: Attempt
        switch await Blocking.perform({ self.head() }) {
        case .wait(let seconds): return seconds
        case .attempt(let ready): attempt = ready
        }
        do {
            try await sink.deliver(attempt.entry.transitions, firing: attempt.entry.firing ?? [], payloads: payloads)
            await Blocking.perform { self.delivered(attempt) }
            return 0
        } catch {
            await Blocking.perform { self.failed(attempt, error: "\(error)") }
            return 0.01
        }
    }

    /// The head of the queue, claimed and with what joins it, ready to send.
    struct Attempt: Sendable {
        let name: String
        let entry: Outbox.Entry
        let claim: Outbox.Claim
        let joined: [(name: String, entry: Outbox.Entry, claim: Outbox.Claim)]
    }

    enum Head: Sendable {
        case wait(Double)
        case attempt(Attempt)
    }

    /// Reads the head of the queue: what to send now, or how long to wait.
    private func head() -> Head {
        guard let name = outbox.names(sink: sink.name).first else { return .wait(30) }
        guard let claim = outbox.claim(sink: sink.name, name: name) else { return .wait(1) }   // another courier has it
        guard let entry = outbox.read(sink: sink.name, name: name) else {
            outbox.setAside(sink: sink.name, name: name)
            logger.warning("outbox entry \(name) for \(sink.name) cannot be read; set aside as \(name).corrupt", metadata: [
                "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "error_class": "delivery_failed",
            ])
            return .wait(0)
        }
        let now = clock.now().timeIntervalSince1970
        if now - entry.createdAt > giveUpAfter {
            outbox.remove(sink: sink.name, name: name)
            logger.warning("gave up on a notification to \(sink.name) after \(entry.attempts) attempts over \(Int(now - entry.createdAt)) s (notify.give_up_after): \(Self.names(entry)); last error: \(entry.lastError ?? "-")", metadata: [
                "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "alerts": "\(Self.names(entry))",
                "error_class": "delivery_given_up",
            ])
            return .wait(0)
        }
        // On shutdown a group still in its group_wait goes now; a retry keeps its backoff.
        let flushing = mode.get() == .draining && entry.attempts == 0
        if entry.nextAttemptAt > now && !flushing { return .wait(min(entry.nextAttemptAt - now, 30)) }
        let joined = batching ? joinable(after: name) : []
        return .attempt(Attempt(name: name, entry: entry.absorbing(joined.map(\.entry)), claim: claim, joined: joined))
    }

    private func delivered(_ attempt: Attempt) {
        let (name, entry) = (attempt.name, attempt.entry)
        outbox.remove(sink: sink.name, name: name)
        for later in attempt.joined { outbox.remove(sink: sink.name, name: later.name) }
        withExtendedLifetime((attempt.claim, attempt.joined)) {}
        let delay = Int((clock.now().timeIntervalSince1970 - entry.createdAt).rounded())
        if entry.attempts > 0 {
            logger.notice("alerts delivered to \(sink.name) after \(entry.attempts + 1) attempts, \(delay) s late: \(Self.names(entry))", metadata: [
                "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "alerts": "\(Self.names(entry))",
                "attempts": "\(entry.attempts + 1)", "delay_seconds": "\(delay)",
            ])
        } else {
            logger.info("alerts delivered to \(sink.name): \(Self.names(entry))", metadata: [
                "sink": "\(sink.name)", "alerts": "\(Self.names(entry))",
            ])
        }
    }

    private func failed(_ attempt: Attempt, error: String) {
        let name = attempt.name
        var entry = attempt.entry
        entry.attempts += 1
        entry.lastError = error
        let wait = Outbox.backoff(afterFailures: entry.attempts, base: retryDelay)
        entry.nextAttemptAt = clock.now().timeIntervalSince1970 + wait
        do {
            // The merged entry replaces the head before the others go, so a crash
            // in between can repeat a change but never lose one.
            try outbox.write(entry, name: name)
            for later in attempt.joined { outbox.remove(sink: sink.name, name: later.name) }
        } catch let writeError {
            logger.warning("outbox entry \(name) for \(sink.name) not updated: \(writeError)", metadata: [
                "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "error_class": "storage_error",
            ])
        }
        withExtendedLifetime((attempt.claim, attempt.joined)) {}
        // The first failure of a notification is a warning; the retries are info,
        // and NotificationsFailing speaks once one has waited 5 minutes.
        let level: Logger.Level = entry.attempts == 1 ? .warning : .info
        logger.log(level: level, "alert delivery to \(sink.name) failed (attempt \(entry.attempts)), retrying in \(Int(wait.rounded(.up))) s: \(error)", metadata: [
            "MESSAGE_ID": "\(AlertNotifier.deliveryMessageID)", "sink": "\(sink.name)", "alerts": "\(Self.names(entry))",
            "error_class": "delivery_failed", "attempts": "\(entry.attempts)",
        ])
    }

    /// The entries queued behind `head` that can join it, each claimed: in order,
    /// stopping at one another courier holds or that cannot be read (order is kept;
    /// the unreadable one is set aside when it reaches the head). At most 200 a time.
    private func joinable(after head: String) -> [(name: String, entry: Outbox.Entry, claim: Outbox.Claim)] {
        var joined: [(name: String, entry: Outbox.Entry, claim: Outbox.Claim)] = []
        for name in outbox.names(sink: sink.name).drop(while: { $0 <= head }).prefix(200) {
            guard let claim = outbox.claim(sink: sink.name, name: name),
                  let entry = outbox.read(sink: sink.name, name: name) else { break }
            joined.append((name, entry, claim))
        }
        return joined
    }

    static func names(_ entry: Outbox.Entry) -> String {
        entry.transitions.map { $0.alert.key.name.rawValue }.joined(separator: ",")
    }
}

/// A value behind a lock, for the few flags threads share here.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = Mutex(())
    private var value: Value

    init(_ value: Value) { self.value = value }

    func get() -> Value { lock.withLock { _ in value } }
    func set(_ newValue: Value) { lock.withLock { _ in value = newValue } }

    /// Sets the value and returns the one before.
    func exchange(_ newValue: Value) -> Value {
        lock.withLock { _ in
            defer { value = newValue }
            return value
        }
    }
}
