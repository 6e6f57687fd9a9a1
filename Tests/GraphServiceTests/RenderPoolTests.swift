@testable import BTCRateGraph
import BTCRateCore
import BTCRateTestSupport
import Foundation
import LibRRD
import NIOEmbedded
import Testing

/// The render workers as an operator breaks them: real `btcrate render-worker`
/// processes, killed with -9 mid-render and frozen with SIGSTOP, and a queue
/// filled by clients that hang up. No assertion depends on how fast anything is.
@Suite struct RenderPoolTests {
    let fixture = try! GraphFixture()
    let log = CapturedLog()
    let metrics = GraphMetrics()

    func pool(workers: Int = 1, maxQueue: Int = 64, timeout: Double = 30,
              command: WorkerCommand = GraphFixture.workers) -> RenderPool {
        RenderPool(settings: .init(workers: workers, maxQueue: maxQueue, timeout: timeout, command: command),
                   metrics: metrics, logger: log.logger(level: .info))
    }

    /// 30 days at 3000 x 1500 with the band (by default): a render that takes a while.
    func job(_ shift: Int = 0, width: Int = 3000, height: Int = 1500) -> RenderJob {
        let query = try! GraphQuery(rawQuery: "width=\(width)&height=\(height)&style=band", pairs: [fixture.pair])
        return .graph(GraphArguments.graph(
            [.init(pair: fixture.pair, path: fixture.configuration.rrdPath(for: fixture.pair))], query: query,
            range: (GraphFixture.lastSlot - 30 * 86_400 - shift)...GraphFixture.lastSlot, style: .band))
    }

    func outcome(_ pool: RenderPool, _ job: RenderJob, audience: RenderAudience? = nil) async -> Result<RenderReply, RenderPool.Refusal> {
        do throws(RenderPool.Refusal) {
            return .success(try await pool.render(job, audience: audience))
        } catch {
            return .failure(error)
        }
    }

    static func isPNG(_ result: Result<RenderReply, RenderPool.Refusal>) -> Bool {
        if case .success(.graph(let graph)) = result { return PNGHeader(graph.image) != nil }
        return false
    }

    /// Waits (without a deadline of its own: the test runner's is enough) until `condition` holds.
    static func until(_ condition: () -> Bool) async {
        while !condition() { try? await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aWorkerKilledMidRenderFailsOnlyItsJobAndIsReplaced() async throws {
        let pool = pool()
        await pool.start()
        let pid = try #require(pool.pids.first ?? nil)
        // Frozen first, so the job is surely in its hands when the -9 comes.
        kill(pid, SIGSTOP)
        async let first = outcome(pool, job())
        await Self.until { pool.status.busy == 1 }
        try await Task.sleep(for: .milliseconds(50))
        kill(pid, SIGKILL)
        guard case .failure(.workerFailed(let reason)) = await first else {
            Issue.record("the killed worker's job did not fail as workerFailed")
            return
        }
        #expect(reason.contains("died mid-render") && reason.contains("killed by SIGKILL"), "\(reason)")
        let replacement = try #require(pool.pids.first ?? nil)
        #expect(replacement != pid)
        #expect(Self.isPNG(await outcome(pool, job(600))), "the next job is served by the new worker")
        // The journal says which job the dead worker had.
        let line = try #require(log.lines.first { $0.message.contains("died mid-render") })
        #expect(line.level == .error && line.metadata["error_class"] == "render_crash")
        #expect(line.message.contains("it had job graph start=\(GraphFixture.lastSlot - 30 * 86_400)") && line.message.contains("width=3000 height=1500 file=BTC-USD.rrd"))
        #expect(String(decoding: metrics.exposition(.init(pairs: [], pool: pool.status, connections: 0)), as: UTF8.self)
            .contains(#"btcrate_render_worker_restarts_total{reason="crash"} 1"#))
        await pool.stop()
        #expect(kill(replacement, 0) != 0, "stop ends the workers")
    }

    /// A worker as the service starts it is one thread before and after a render:
    /// `btcrate render-worker` is answered before the command-line parser and the
    /// async entry (which started the concurrency runtime's threads and touched
    /// up to 4 MiB more of the binary, issue 14). One thread is also what makes librrd's
    /// graph calls safe there.
    @Test func aWorkerIsOneThreadThatSkippedTheCommandLineParser() async throws {
        let pool = pool()
        await pool.start()
        await Self.until { pool.status.live == 1 }
        let pid = try #require(pool.pids.first ?? nil)
        func threads() -> Int? {
            ProcFile.text("/proc/\(pid)/status").split(separator: "\n").first { $0.hasPrefix("Threads:") }
                .flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) }
        }
        #expect(threads() == 1)
        #expect(Self.isPNG(await outcome(pool, job(0, width: 400, height: 200))))
        #expect(pool.pids.first ?? nil == pid, "the same worker drew")
        #expect(threads() == 1)
        await pool.stop()
    }

    /// The Rss of a process's [heap] mapping, in kB.
    static func heapKilobytes(_ pid: Int32) -> Int {
        var inHeap = false, total = 0
        for line in ProcFile.text("/proc/\(pid)/smaps").split(separator: "\n") {
            if let first = line.split(separator: " ").first, first.contains("-") {
                inHeap = line.hasSuffix("[heap]")
            } else if inHeap, line.hasPrefix("Rss:") {
                total += Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            }
        }
        return total
    }

    /// A worker that goes idle gives back the heap its renders freed (malloc_trim,
    /// once `idleMillisecondsBeforeTrim` passes without a job): its [heap] shrinks
    /// after a large graph. The heap is read as soon as the answer is in; on a
    /// machine so busy that the worker trimmed before that read, the round is
    /// tried again.
    @Test func anIdleWorkerGivesItsFreedHeapBack() async throws {
        let pool = pool()
        await pool.start()
        await Self.until { pool.status.live == 1 }
        let pid = try #require(pool.pids.first ?? nil)
        var shrank = false
        for round in 0..<5 where !shrank {
            #expect(Self.isPNG(await outcome(pool, job(round * 600))))
            let afterRender = Self.heapKilobytes(pid)
            for _ in 0..<100 where !shrank {
                try await Task.sleep(for: .milliseconds(100))
                shrank = Self.heapKilobytes(pid) < afterRender
            }
        }
        #expect(shrank, "the idle worker's heap never shrank")
        await pool.stop()
    }

    @Test func aFrozenWorkerIsKilledAtTheDeadline() async throws {
        let pool = pool(timeout: 1)
        await pool.start()
        // A worker must say hello within the render timeout; on a machine busy with
        // the end-to-end tests that can take longer than this test's 1 s, and the
        // pool then retries the start: wait for a live worker.
        await Self.until { pool.status.live == 1 }
        let pid = try #require(pool.pids.first ?? nil)
        kill(pid, SIGSTOP)
        guard case .failure(.workerFailed(let reason)) = await outcome(pool, job()) else {
            Issue.record("a job on a frozen worker did not fail")
            return
        }
        #expect(reason.contains("passed graph.render_timeout"), "\(reason)")
        #expect(kill(pid, 0) != 0, "the frozen worker was killed and reaped")
        // A new worker serves the next job. Its start and render share this test's
        // 1 s deadline, which a machine busy with other tests can miss: a few tries.
        var served = false
        for attempt in 0..<20 where !served {
            served = Self.isPNG(await outcome(pool, job(600 + attempt, width: 800, height: 300)))
        }
        #expect(served, "the next job is served by a new worker")
        #expect(log.lines.contains { $0.metadata["error_class"] == "render_timeout" && $0.message.contains("it had job graph") })
        await pool.stop()
    }

    /// Workers that cannot start: nothing takes a job, so every queued job meets
    /// its deadline; the queue holds max_queue and refuses one more of the same
    /// cost at once; jobs whose clients left make room, and so does the dearest
    /// job for a cheaper one; /healthz's status says the pool is starved.
    @Test func theQueueIsBoundedAndNobodyWaitsPastTheTimeout() async throws {
        let broken = WorkerCommand(executable: "/bin/sh", arguments: ["sh", "-c", "exit 3"])
        // 5 s: the steps below must fit in it while the whole suite runs on two cores.
        let pool = pool(maxQueue: 2, timeout: 5, command: broken)
        await pool.start()
        #expect(pool.status.live == 0)
        #expect(pool.status.starved?.contains("no render worker is running") == true)
        #expect(log.lines.contains { $0.message.contains("could not start a render worker") && $0.message.contains("retrying in") })

        let leaving = ClientConnection(channel: EmbeddedChannel())
        let staying = ClientConnection(channel: EmbeddedChannel())
        async let gone = outcome(pool, job(1), audience: RenderAudience(leaving))
        await Self.until { pool.status.queueDepth == 1 }
        async let waiting = outcome(pool, job(2), audience: RenderAudience(staying))
        await Self.until { pool.status.queueDepth == 2 }
        #expect(await outcome(pool, job(3)) == .failure(.queueFull(depth: 2)))
        #expect(pool.status.starved != nil)
        // A client leaves: its job makes room for the next one, unrendered.
        leaving.clientLeft()
        async let admitted = outcome(pool, job(4))
        #expect(await gone == .failure(.clientGone))
        await Self.until { pool.status.queueDepth == 2 }
        // A full queue of the largest graphs: an ordinary view takes the place of the
        // newest of them, which is refused as if it had come last.
        async let ordinary = outcome(pool, job(5, width: 800, height: 300))
        #expect(await admitted == .failure(.queueFull(depth: 2)))
        #expect(await waiting == .failure(.waitedTooLong(seconds: 5)))
        #expect(await ordinary == .failure(.waitedTooLong(seconds: 5)))
        let text = String(decoding: metrics.exposition(.init(pairs: [], pool: pool.status, connections: 0)), as: UTF8.self)
        #expect(text.contains("btcrate_render_jobs_rejected_total 2"))
        #expect(text.contains(#"btcrate_render_jobs_dropped_total{reason="client_gone"} 1"#))
        #expect(text.contains(#"btcrate_render_jobs_dropped_total{reason="queue_timeout"} 2"#))
        await pool.stop()
    }

    /// Jobs and replies cross the socket exactly: a graph's PNG and geometry, an
    /// export's rows with their NaNs, librrd's refusal verbatim.
    @Test func theWireCarriesJobsAndRepliesExactly() throws {
        let paris = try #require(TimeZoneName("Europe/Paris"))
        let job = RenderJob.export(arguments: ["--start", "1700000000", "DEF:rate=/var/lib/btcrate/BTC-USD.rrd:rate:AVERAGE"],
                                   timeZone: paris)
        #expect(try RenderWire.decodeJob(RenderWire.encode(job)) == job)
        let graphJob = RenderJob.graph(.init(arguments: ["-", "--width", "800"],
                                             probe: AxisProbe(arguments: ["--start", "1"], plotHeight: 259, logarithmic: true),
                                             timeZone: paris))
        #expect(try RenderWire.decodeJob(RenderWire.encode(graphJob)) == graphJob)
        let series = RRDSeries(start: 10, end: 40, step: 10, dataSources: ["rate", "min"], rows: [[1.5, .nan], [2, 3], [.infinity, -1]])
        guard case .export(let back, let offsets) = try RenderWire.decodeReply(RenderWire.encode(.export(series, utcOffsets: [3600, 3600, 7200]))) else {
            Issue.record("not an export")
            return
        }
        #expect(back == series && offsets == [3600, 3600, 7200])
        let graph = RRDGraphResult(image: [0x89, 0x50, 0, 255], fields: ["graph_left": .number(67), "legend[0]": .text("BTC-USD"), "graph_width": .count(700)])
        guard case .graph(let result) = try RenderWire.decodeReply(RenderWire.encode(.graph(graph))) else {
            Issue.record("not a graph")
            return
        }
        #expect(result.image == graph.image && result.fields["graph_left"] == .number(67) && result.fields["legend[0]"] == .text("BTC-USD"))
        #expect(result.fields["graph_width"]?.doubleValue == 700)
        guard case .failed(let message) = try RenderWire.decodeReply(RenderWire.encode(.failed("opening '/x.rrd': No such file or directory"))) else {
            Issue.record("not a failure")
            return
        }
        #expect(message == "opening '/x.rrd': No such file or directory")
        // Truncated or oversized frames are refused, not trusted.
        #expect(throws: RenderWire.Malformed.self) { try RenderWire.decodeReply(Array(RenderWire.encode(.export(series, utcOffsets: [])).dropLast(3))) }
        #expect(throws: RenderWire.Malformed.self) { try RenderWire.length(ofHeader: [0xFF, 0xFF, 0xFF, 0x7F]) }
    }
}

/// Outcomes compare by their refusal; a reply is never equal to anything.
extension Result where Success == RenderReply, Failure == RenderPool.Refusal {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.failure(let a), .failure(let b)): a == b
        default: false
        }
    }
}
