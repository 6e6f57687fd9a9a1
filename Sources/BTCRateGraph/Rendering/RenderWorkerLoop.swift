import BTCRateCore
import CSpawn
import LibRRD
#if canImport(Glibc)
import Glibc
#endif

/// The render worker process (`btcrate render-worker`): reads jobs from its
/// stdin, renders each with librrd on its one thread, writes the reply to its
/// stdout. The graph service starts `graph.render_workers` of them.
///
/// librrd 1.7.2's `rrd_graph_v` and `rrd_xport` crash when two threads call
/// them at once; the crash is per process, so one single-threaded process per
/// worker renders in parallel safely. A worker that crashes, hangs or is
/// stopped takes down only its own job: the service kills and replaces it.
public enum RenderWorkerLoop {
    /// Runs until the service closes the socket (or dies); returns the exit status.
    public static func run() -> Int32 {
        // Dies with the service's thread that spawned it (one of the render pool's,
        // which live as long as the pool): never rendering for nobody.
        _ = CSpawn_dieWithParent()
        // Ctrl-C in a terminal and systemctl reload are the service's to handle;
        // SIGTERM (systemctl stop) ends a worker like the rest of the unit.
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        // The worker owns the render environment: librrd 1.7.2 has no --utc or
        // zone option, so graphs follow the process time zone, set per job.
        var zone = TimeZoneName.utc
        use(zone)
        // A storage host's files are named relative to its daemon (BTC-USD.rrd);
        // if the daemon cannot be reached librrd looks for that name here. The
        // root directory holds no RRD file, so that look finds nothing.
        _ = chdir("/")

        let socket = FrameSocket(descriptor: 0)
        do {
            try socket.send(RenderWire.hello(pid: getpid()))
            var freedSinceTrim = false
            while true {
                // An idle worker gives the heap pages its jobs freed back (about 1.7 MiB
                // after drawing, bench/lean.sh). Not after every job: in a burst the
                // next render faulted them in again, about 1 ms each.
                if freedSinceTrim && !socket.isReadable(within: Self.idleMillisecondsBeforeTrim) {
                    _ = CSpawn_trimHeap()
                    freedSinceTrim = false
                }
                let job = try RenderWire.decodeJob(try socket.receive())
                if job.timeZone != zone {
                    zone = job.timeZone
                    use(zone)
                }
                try socket.send(RenderWire.encode(perform(job)))
                freedSinceTrim = true
            }
        } catch FrameSocket.Failure.closed {
            return 0
        } catch {
            let line = Array("btcrate render-worker: \(error)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            return 1
        }
    }

    /// How long a worker waits for the next job before it trims its heap.
    static let idleMillisecondsBeforeTrim: Int32 = 1000

    /// Makes `zone` the process time zone (a name `TimeZoneName` checked).
    static func use(_ zone: TimeZoneName) {
        setenv("TZ", zone.name, 1)
        tzset()
    }

    /// One job, on this thread, in the process time zone, with librrd's error kept verbatim.
    static func perform(_ job: RenderJob) -> RenderReply {
        do {
            switch job {
            case .graph(let graph):
                var arguments = graph.arguments
                if let probe = graph.probe {
                    // Measure first, then draw with labels spaced for these values.
                    let measured = try RRDGraph.export(arguments: probe.arguments)
                    if let extent = ValueAxis.extent(measured.rows) {
                        arguments.insert(contentsOf: ValueAxis.options(low: extent.low, high: extent.high, probe: probe), at: 1)
                    }
                }
                return .graph(try RRDGraph.render(arguments: arguments))
            case .export(let arguments, let zone):
                let series = try RRDGraph.export(arguments: arguments)
                let offsets = zone == .utc ? [] : series.rows.indices.map { utcOffset(at: series.time(ofRow: $0)) }
                return .export(series, utcOffsets: offsets)
            }
        } catch let error as RRDError {
            return .failed(error.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Seconds east of UTC at `time` in the process time zone.
    static func utcOffset(at time: Int) -> Int {
        var seconds = time_t(time)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return 0 }
        return Int(parts.tm_gmtoff)
    }
}
