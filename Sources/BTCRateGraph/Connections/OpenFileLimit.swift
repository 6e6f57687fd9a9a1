#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit, and how many connections fit under it.
///
/// Each connection is a descriptor. At the limit accept(2) fails with EMFILE
/// and renders cannot open their files: the graph service stops answering
/// anyone. So at start the soft limit is raised to the hard one (the units set
/// `LimitNOFILE=65536`; a shell's `ulimit -n` is often 1,024), and the
/// connection cap is kept under what remains, with room for the workers'
/// sockets, the RRD files and the journal.
enum OpenFileLimit {
    /// Descriptors kept free of connections.
    static let reserve = 64

    /// Raises the soft limit to the hard limit (a seccomp filter or a container
    /// may refuse; the limit then stays) and returns the soft limit in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }

    /// The connection cap under a soft limit of `files`, with `workers` render workers.
    static func connectionCap(configured: Int, files: Int, workers: Int) -> Int {
        max(16, min(configured, files - reserve - 2 * workers))
    }
}
