import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One slot of the render pool: at most one worker process at a time. The pool
/// hands a slot to one job at a time, so only that job's thread renders with
/// it; `interrupt` (the pool stopping) only signals, and `stop` runs when no
/// job does.
final class RenderWorker: Sendable {
    let index: Int
    private let command: WorkerCommand
    private let current = Mutex<WorkerProcess?>(nil)
    /// The running process's pid, readable from any thread (0: none).
    private let runningPID = Atomic<Int32>(0)

    init(index: Int, command: WorkerCommand) {
        self.index = index
        self.command = command
    }

    var pid: pid_t? {
        let pid = runningPID.load(ordering: .relaxed)
        return pid == 0 ? nil : pid
    }

    /// Starts the process unless one runs, and waits for its hello.
    func start(deadline: ContinuousClock.Instant) throws(RenderWorkerFailure) {
        guard current.withLock({ $0 == nil }) else { return }
        let fresh: WorkerProcess
        do {
            fresh = try WorkerProcess.spawn(command)
        } catch {
            throw .spawn(error.description)
        }
        do {
            let pid = try RenderWire.decodeHello(try fresh.socket.receive(deadline: deadline))
            guard pid == fresh.pid else { throw RenderWire.Malformed(what: "hello from pid \(pid), spawned \(fresh.pid)") }
        } catch {
            let ended = fresh.terminate()
            throw .spawn("worker \(fresh.pid) did not start (\(error); \(ended))")
        }
        current.withLock { $0 = fresh }
        runningPID.store(fresh.pid, ordering: .relaxed)
    }

    /// `start`, with its failure as a value (for closures that may not throw it).
    func startFailure(deadline: ContinuousClock.Instant) -> RenderWorkerFailure? {
        do throws(RenderWorkerFailure) {
            try start(deadline: deadline)
            return nil
        } catch {
            return error
        }
    }

    /// Renders one job; on any failure the process is killed and reaped (the
    /// caller starts a new one).
    func perform(_ job: RenderJob, deadline: ContinuousClock.Instant) throws(RenderWorkerFailure) -> RenderReply {
        try start(deadline: deadline)
        guard let process = current.withLock({ $0 }) else { throw .spawn("no worker") }
        do {
            try process.socket.send(RenderWire.encode(job), deadline: deadline)
            return try RenderWire.decodeReply(try process.socket.receive(deadline: deadline))
        } catch FrameSocket.Failure.timedOut {
            throw .timedOut(pid: process.pid, ended: stop())
        } catch {
            throw .crashed(pid: process.pid, ended: stop(), detail: "\(error)")
        }
    }

    /// Kills and reaps the process, if any; says how it ended.
    @discardableResult
    func stop() -> String {
        guard let process = current.withLock({ taken in defer { taken = nil }; return taken }) else { return "not running" }
        runningPID.store(0, ordering: .relaxed)
        return process.terminate()
    }

    /// SIGKILL from another thread (the pool stopping while a job runs): the
    /// job's own thread then sees the socket close and reaps the process.
    func interrupt() {
        if let pid { kill(pid, SIGKILL) }
    }
}

/// Why a worker gave no reply.
enum RenderWorkerFailure: Error, CustomStringConvertible {
    case spawn(String)
    /// Past `graph.render_timeout` (hung, looping or SIGSTOPped): killed.
    case timedOut(pid: pid_t, ended: String)
    /// The process died or broke the protocol mid-job.
    case crashed(pid: pid_t, ended: String, detail: String)

    var description: String {
        switch self {
        case .spawn(let detail): "could not start a render worker: \(detail)"
        case .timedOut(let pid, let ended): "render worker \(pid) passed graph.render_timeout and was killed (\(ended))"
        case .crashed(let pid, let ended, let detail): "render worker \(pid) died mid-render: \(detail) (\(ended))"
        }
    }

    /// The label of btcrate_render_worker_restarts_total.
    var reason: String {
        switch self {
        case .spawn: "spawn"
        case .timedOut: "timeout"
        case .crashed: "crash"
        }
    }
}
