import BTCRateCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The render workers and the bounded queue in front of them.
///
/// Admission: a job runs at once on an idle worker, or waits in a queue of at
/// most `graph.max_queue`; beyond it the dearest job (by pixels) is refused at
/// once (503 with Retry-After), the newcomer or one already waiting.
/// A waiting job whose clients have all gone is dropped unrendered, and one
/// that waited `graph.render_timeout` is answered 503: nobody waits behind a
/// backlog of work nobody wants. A worker that crashes or passes the timeout is
/// killed and replaced, and only its own job fails.
///
/// The blocking round trips to the workers run on the pool's own NIO thread
/// pool, one thread per worker, so a slow render never holds a thread that
/// cached answers, `/healthz` or `/metrics` need.
public final class RenderPool: Sendable {
    public struct Settings: Sendable {
        public var workers: Int
        public var maxQueue: Int
        /// Seconds: the longest wait in the queue, and the longest render.
        public var timeout: Double
        public var command: WorkerCommand

        public init(workers: Int, maxQueue: Int, timeout: Double, command: WorkerCommand) {
            self.workers = workers
            self.maxQueue = maxQueue
            self.timeout = timeout
            self.command = command
        }
    }

    /// Why a job got no reply. The endpoints answer each with 503.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case queueFull(depth: Int)
        case waitedTooLong(seconds: Int)
        case clientGone
        case workerFailed(String)
        case stopped

        public var description: String {
            switch self {
            case .queueFull(let depth): "the render queue is full (\(depth) waiting); try again shortly"
            case .waitedTooLong(let seconds): "no render worker was free within \(seconds) s (graph.render_timeout)"
            case .clientGone: "the client went away before a worker took the render"
            case .workerFailed: "the render worker failed on this graph and was replaced; try again"
            case .stopped: "the graph service is stopping"
            }
        }
    }

    /// What `/healthz` and `/metrics` report.
    public struct Status: Sendable, Equatable {
        public let workers: Int
        public let live: Int
        public let busy: Int
        public let queueDepth: Int
        public let maxQueue: Int
        /// Seconds the oldest waiting job has waited (0: none waits).
        public let oldestWait: Double
        /// Why no worker can take a render within `graph.render_timeout` (nil: one can).
        public let starved: String?
    }

    /// A job waiting for a slot. Whoever answers it first (a freed slot, its
    /// deadline, its client leaving, the pool stopping) wins; later answers are
    /// refused, so no job is answered twice and none is left unanswered.
    private final class Waiter: Sendable {
        let since: ContinuousClock.Instant
        let audience: RenderAudience?
        /// `RenderJob.cost`: at a full queue the most expensive job makes way.
        let cost: Int
        private let continuation: Mutex<CheckedContinuation<Result<Int, Refusal>, Never>?>

        init(audience: RenderAudience?, cost: Int, continuation: CheckedContinuation<Result<Int, Refusal>, Never>) {
            since = .now
            self.audience = audience
            self.cost = cost
            self.continuation = Mutex(continuation)
        }

        var isGone: Bool { audience?.isGone == true }

        /// False when the job had already been answered. `first` runs before the
        /// job learns its answer (metrics are counted before anyone can read them).
        @discardableResult
        func answer(_ result: Result<Int, Refusal>, first: () -> Void = {}) -> Bool {
            guard let continuation = continuation.withLock({ taken in defer { taken = nil }; return taken }) else { return false }
            first()
            continuation.resume(returning: result)
            return true
        }
    }

    private struct State {
        var idle: [Int] = []
        var queue: [Waiter] = []
        var running = false
        var stopped = false
        /// Slots whose worker could not be started; retried with a growing delay.
        var failed: [Int: Double] = [:]
        /// When a job last waited out the timeout in the queue.
        var lastExpiry: ContinuousClock.Instant?
    }

    let settings: Settings
    private let workers: [RenderWorker]
    private let threads: NIOThreadPool
    private let state: Mutex<State>
    private let metrics: GraphMetrics
    private let logger: Logger

    public init(settings: Settings, metrics: GraphMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        workers = (0..<settings.workers).map { RenderWorker(index: $0, command: settings.command) }
        // One thread per worker: each holds one job's round trip, no more.
        threads = NIOThreadPool(numberOfThreads: settings.workers)
        threads.start()
        state = Mutex(State(idle: Array((0..<settings.workers).reversed())))
    }

    // MARK: lifecycle

    /// Starts every worker (in parallel), so the first renders find them ready.
    /// A worker that cannot start is journaled and retried; the service runs
    /// with the others (`/healthz` says how many live).
    public func start() async {
        state.withLock { $0.running = true }
        await withTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask { [self] in
                    if case .failed(let failure) = await spawn(worker.index) { failed(worker.index, failure) }
                }
            }
        }
    }

    /// A pool dropped without `stop` (a test's service): its processes and
    /// threads end with it.
    deinit {
        for worker in workers { worker.stop() }
        threads.shutdownGracefully { _ in }
    }

    /// Refuses new work, answers every waiting job 503 and ends the workers.
    public func stop() async {
        let (waiters, idle) = state.withLock { state -> ([Waiter], [Int]) in
            state.stopped = true
            defer {
                state.queue = []
                state.idle = []
            }
            return (state.queue, state.idle)
        }
        for waiter in waiters { waiter.answer(.failure(.stopped)) }
        let idleSet = Set(idle)
        for worker in workers where !idleSet.contains(worker.index) { worker.interrupt() }
        for index in idle { workers[index].stop() }
        try? await threads.shutdownGracefully()
        // Busy slots were interrupted; their jobs reaped them on the way out.
        for worker in workers { worker.stop() }
    }

    // MARK: rendering

    /// Renders `job` on a worker; `audience` are the clients waiting for it.
    public func render(_ job: RenderJob, audience: RenderAudience?) async throws(Refusal) -> RenderReply {
        let queued = ContinuousClock.now
        let slot = try await acquire(audience, cost: job.cost)
        metrics.observeQueueWait((ContinuousClock.now - queued).seconds)
        let worker = workers[slot]
        let timeout = settings.timeout
        let outcome: Result<(RenderReply, Double), RenderWorkerFailure>
        do {
            outcome = try await threads.runIfActive {
                let started = ContinuousClock.now
                do throws(RenderWorkerFailure) {
                    let reply = try worker.perform(job, deadline: started + .seconds(timeout))
                    return .success((reply, (ContinuousClock.now - started).seconds))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            release(slot)
            throw .stopped
        }
        switch outcome {
        case .success(let (reply, seconds)):
            metrics.observeRender(seconds: seconds)
            release(slot)
            return reply
        case .failure(let failure):
            if state.withLock({ $0.stopped }) {
                release(slot)
                throw .stopped
            }
            logger.error("\(failure); it had job \(job.summary); a new worker takes its place", metadata: [
                "error_class": "\(failure.reason == "timeout" ? "render_timeout" : "render_crash")",
                "worker": "\(slot)",
            ])
            metrics.countWorkerRestart(reason: failure.reason)
            await replace(slot)
            throw .workerFailed(failure.description)
        }
    }

    /// A slot for the job: an idle one at once, or one handed over when its
    /// turn in the queue comes.
    ///
    /// At a full queue, jobs whose clients left make room first; then the most
    /// expensive waiting job makes way for a cheaper newcomer (503, Retry-After),
    /// or the newcomer is refused. Under overload the dearest work is shed: a
    /// flood of the largest graphs cannot keep an ordinary view out.
    private func acquire(_ audience: RenderAudience?, cost: Int) async throws(Refusal) -> Int {
        enum Decision { case slot(Int), refused(Refusal, dropped: [Waiter]), queued(Waiter, dropped: [Waiter], displaced: Waiter?) }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, Refusal>, Never>) in
            let decision = state.withLock { state -> Decision in
                if state.stopped { return .refused(.stopped, dropped: []) }
                if state.queue.isEmpty, let slot = state.idle.popLast() { return .slot(slot) }
                var dropped: [Waiter] = []
                var displaced: Waiter?
                if state.queue.count >= settings.maxQueue {
                    // One look at each: a client may leave at any moment.
                    var kept: [Waiter] = []
                    for waiter in state.queue {
                        if waiter.isGone { dropped.append(waiter) } else { kept.append(waiter) }
                    }
                    state.queue = kept
                    if kept.count >= settings.maxQueue {
                        // The newest of the dearest: the longest waiting keep their turn.
                        let highest = kept.map(\.cost).max() ?? 0
                        guard highest > cost, let dearest = kept.lastIndex(where: { $0.cost == highest }) else {
                            return .refused(.queueFull(depth: kept.count), dropped: dropped)
                        }
                        displaced = state.queue.remove(at: dearest)
                    }
                }
                let waiter = Waiter(audience: audience, cost: cost, continuation: continuation)
                state.queue.append(waiter)
                return .queued(waiter, dropped: dropped, displaced: displaced)
            }
            switch decision {
            case .slot(let slot):
                continuation.resume(returning: .success(slot))
            case .refused(let refusal, let dropped):
                drop(dropped)
                if case .queueFull = refusal { metrics.countRejected() }
                continuation.resume(returning: .failure(refusal))
            case .queued(let waiter, let dropped, let displaced):
                drop(dropped)
                displaced?.answer(.failure(.queueFull(depth: settings.maxQueue))) { metrics.countRejected() }
                MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(Int64(settings.timeout * 1000))) { [self] in
                    expire(waiter)
                }
            }
        }
        return try result.get()
    }

    private func drop(_ gone: [Waiter]) {
        for waiter in gone {
            waiter.answer(.failure(.clientGone)) { metrics.countDropped(reason: "client_gone") }
        }
    }

    /// A job still waiting at its deadline is answered 503.
    private func expire(_ waiter: Waiter) {
        state.withLock { state in
            if let index = state.queue.firstIndex(where: { $0 === waiter }) {
                state.queue.remove(at: index)
                state.lastExpiry = .now
            }
        }
        waiter.answer(.failure(.waitedTooLong(seconds: Int(settings.timeout.rounded())))) {
            metrics.countDropped(reason: "queue_timeout")
        }
    }

    /// Hands the slot to the oldest waiting job whose clients are still there,
    /// or makes it idle.
    private func release(_ slot: Int) {
        while true {
            var gone: [Waiter] = []
            let (next, stopped) = state.withLock { state -> (Waiter?, Bool) in
                if state.stopped { return (nil, true) }
                while !state.queue.isEmpty {
                    let waiter = state.queue.removeFirst()
                    if waiter.isGone {
                        gone.append(waiter)
                    } else {
                        return (waiter, false)
                    }
                }
                state.idle.append(slot)
                return (nil, false)
            }
            drop(gone)
            guard let next else {
                if stopped { workers[slot].stop() }
                return
            }
            // Answered meanwhile (its deadline came at this very moment): the next one.
            if next.answer(.success(slot)) { return }
        }
    }

    /// Starts a new worker in a slot whose worker failed, then frees the slot;
    /// if it cannot start, retries later and the slot stays out of use.
    private func replace(_ slot: Int) async {
        switch await spawn(slot) {
        case .running, .stopped: release(slot)
        case .failed(let failure): failed(slot, failure)
        }
    }

    private enum Spawned { case running, failed(RenderWorkerFailure), stopped }

    /// Starts the slot's worker, on the pool's own threads: the thread that
    /// spawns a worker must outlive it (the worker dies with it, PR_SET_PDEATHSIG).
    private func spawn(_ slot: Int) async -> Spawned {
        do {
            let failure = try await threads.runIfActive {
                self.workers[slot].startFailure(deadline: .now + .seconds(self.settings.timeout))
            }
            return failure.map(Spawned.failed) ?? .running
        } catch {
            return .stopped
        }
    }

    /// Journals a worker that cannot start and retries after a delay that
    /// doubles up to 30 s, so a broken binary does not spin.
    private func failed(_ slot: Int, _ failure: RenderWorkerFailure) {
        let delay = state.withLock { state -> Double? in
            state.idle.removeAll { $0 == slot }
            guard !state.stopped else { return nil }
            let delay = min(30, (state.failed[slot] ?? 0.5) * 2)
            state.failed[slot] = delay
            return delay
        }
        guard let delay else { return }
        logger.error("\(failure); retrying in \(Int(delay)) s", metadata: ["error_class": "render_worker", "worker": "\(slot)"])
        metrics.countWorkerRestart(reason: failure.reason)
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(Int64(delay * 1000))) { [self] in
            Task {
                switch await spawn(slot) {
                case .failed(let failure):
                    failed(slot, failure)
                case .running:
                    state.withLock { $0.failed[slot] = nil }
                    logger.notice("render worker \(slot) started again")
                    release(slot)
                case .stopped:
                    break
                }
            }
        }
    }

    // MARK: status

    /// The workers' process ids (nil: none running in that slot), for tests and benchmarks.
    var pids: [Int32?] { workers.map(\.pid) }

    public var status: Status {
        let now = ContinuousClock.now
        let timeout = settings.timeout
        return state.withLock { state in
            let live = workers.filter { $0.pid != nil }.count
            let busy = settings.workers - state.idle.count - state.failed.count
            let oldest = state.queue.first.map { (now - $0.since).seconds } ?? 0
            var starved: String?
            if state.running && live == 0 && state.failed.count == settings.workers {
                starved = "no render worker is running (each failed to start; see the journal)"
            } else if state.queue.count >= settings.maxQueue {
                starved = "the render queue is full (\(state.queue.count) of \(settings.maxQueue) waiting)"
            } else if oldest >= timeout || state.lastExpiry.map({ (now - $0).seconds < timeout }) == true {
                starved = "renders wait longer than graph.render_timeout (\(Int(timeout)) s) for a worker"
            }
            return Status(workers: settings.workers, live: live, busy: max(0, busy), queueDepth: state.queue.count,
                          maxQueue: settings.maxQueue, oldestWait: oldest, starved: starved)
        }
    }
}
