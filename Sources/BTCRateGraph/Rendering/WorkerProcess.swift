import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// How a render worker is started: this very binary (`/proc/self/exe`, which
/// still runs the same build after a package upgrade replaced the file) with
/// the hidden `render-worker` command. Tests name the built `btcrate` instead,
/// since their own process is the test runner.
public struct WorkerCommand: Sendable {
    /// The file to execute.
    public let executable: String
    /// argv, argv[0] included: what `ps` and `systemctl status` show.
    public let arguments: [String]

    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// `btcrate render-worker`, from the running binary.
    public static var thisBinary: WorkerCommand {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let shown = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "btcrate"
        return WorkerCommand(executable: "/proc/self/exe", arguments: [shown, "render-worker"])
    }
}

/// A render worker process and the service's end of its socket pair. The
/// worker's stdin and stdout are the other end; its stderr is the service's
/// (the journal, under systemd), and it inherits no other descriptor.
final class WorkerProcess: Sendable {
    let pid: pid_t
    let socket: FrameSocket

    private init(pid: pid_t, socket: FrameSocket) {
        self.pid = pid
        self.socket = socket
    }

    struct SpawnFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Environment entries a worker must not see: it is not the unit's main
    /// process and must never talk to systemd as if it were.
    private static let withheld = ["NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES="]

    static func spawn(_ command: WorkerCommand) throws(SpawnFailure) -> WorkerProcess {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SpawnFailure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        let (mine, theirs) = (pair[0], pair[1])
        defer { close(theirs) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies; everything from 3 up is closed.
        posix_spawn_file_actions_adddup2(&actions, theirs, 0)
        posix_spawn_file_actions_adddup2(&actions, theirs, 1)
        CSpawn_addCloseFrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals the service ignores or blocks (swift-service-lifecycle's handlers)
        // are inherited across exec: the worker starts from the defaults.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = Self.environment()
        let argv = command.arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command.executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            close(mine)
            throw SpawnFailure(description: "posix_spawn \(command.executable): \(String(cString: strerror(result)))")
        }
        let flags = fcntl(mine, F_GETFL)
        _ = fcntl(mine, F_SETFL, flags | O_NONBLOCK)
        return WorkerProcess(pid: pid, socket: FrameSocket(descriptor: mine))
    }

    private static func environment() -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if !withheld.contains(where: { text.hasPrefix($0) }) { entries.append(text) }
            pointer += 1
        }
        return entries
    }

    /// Kills the worker (SIGKILL works on a stopped one too), closes the socket
    /// and reaps it; says how it ended ("killed by SIGSEGV", "exited with status 1").
    @discardableResult
    func terminate() -> String {
        kill(pid, SIGKILL)
        close(socket.descriptor)
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
        guard result == pid else { return "not reaped: \(String(cString: strerror(errno)))" }
        return Self.describe(status)
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        let name = Self.signalNames[signal].map { "SIG\($0)" } ?? "signal \(signal)"
        return "killed by \(name)"
    }

    private static let signalNames: [Int32: String] = [
        SIGKILL: "KILL", SIGSEGV: "SEGV", SIGABRT: "ABRT", SIGBUS: "BUS", SIGTERM: "TERM", SIGILL: "ILL",
        SIGFPE: "FPE", SIGINT: "INT", SIGPIPE: "PIPE", SIGTRAP: "TRAP",
    ]
}
