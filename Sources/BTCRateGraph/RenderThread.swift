import Foundation

/// One dedicated thread that runs librrd's graph and export calls, one at a time.
///
/// librrd 1.7.2 crashes when `rrd_graph_v` runs on several threads at once, and
/// those calls block for milliseconds to seconds: they must neither run
/// concurrently nor hold a cooperative-pool thread. Every render is queued here.
public final class RenderThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var thread: Thread?

    /// The process's render thread. librrd's graph state is process-wide, so one
    /// thread per process is the right number, however many services render.
    public static let shared = RenderThread()

    /// A render thread lives as long as the process: its loop keeps it alive.
    public init(name: String = "btcrate-render") {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.stackSize = 8 << 20   // cairo and pango like deep stacks
        self.thread = thread
        thread.start()
    }

    /// Jobs waiting, for /metrics.
    public var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    /// Runs `work` on the render thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(with: Result { try work() }) }
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
