import Glibc

/// One connection to an rrdcached daemon, speaking its line protocol (rrdcached(1),
/// "Valid Commands"): a request is one line (`LAST BTC-USD.rrd`), the answer a
/// line `STATUS MESSAGE`, where a negative status is an error and a positive one
/// counts the lines that follow (FETCH's header and rows).
///
/// Our own and not librrd's client, because librrd 1.7.2 exports only its
/// per-process client (`rrdc_*`): one connection and one mutex for every daemon,
/// so a frozen storage host held every other host's calls, and no timeout at
/// all, so a stopped daemon blocked read(2) forever. Here every connect, write
/// and read has the caller's deadline (non-blocking socket and poll(2)), and each
/// daemon has its connection. Used by one thread at a time (its `DaemonGate`'s worker).
final class RRDCachedSocket {
    struct Answer {
        let status: Int
        let message: String
        let lines: [String]
    }

    /// The daemon's answer is bounded: a year of ten-minute rows with three data
    /// sources is about 5 MB.
    static let maxAnswerBytes = 64 << 20
    /// librrd's own limit for one request line (RRD_CMD_MAX); rrdcached reads no more.
    static let maxRequestBytes = 4096

    let address: String
    private var descriptor: Int32 = -1
    private var pending: [UInt8] = []
    /// Where the unread part of `pending` starts: lines are not removed one by one
    /// (a year's FETCH is 52,560 of them).
    private var readOffset = 0

    init(address: String) {
        self.address = address
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        pending.removeAll()
        readOffset = 0
    }

    /// Sends one command (its words escaped as librrd does) and reads the whole
    /// answer. A daemon error is an `Answer` with a negative status; a failure to
    /// connect, write or read in time throws, and drops the connection so that
    /// the next request dials again (after a daemon restart, say).
    func request(_ words: [String], call: String, path: String, timeout: Double) throws -> Answer {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        let line = words.map(Self.escape).joined(separator: " ") + "\n"
        guard line.utf8.count <= Self.maxRequestBytes else {
            throw RRDError(call: call, path: path, message: "the request is longer than rrdcached's \(Self.maxRequestBytes) bytes")
        }
        do {
            if descriptor < 0 { try connect(deadline: deadline, call: call) }
            try send(Array(line.utf8), deadline: deadline, call: call, path: path, timeout: timeout)
            let first = try readLine(deadline: deadline, call: call, path: path, timeout: timeout)
            let (status, message) = Self.statusLine(first)
            var lines: [String] = []
            if status > 0 {
                lines.reserveCapacity(status)
                for _ in 0..<status { lines.append(try readLine(deadline: deadline, call: call, path: path, timeout: timeout)) }
            }
            return Answer(status: status, message: message, lines: lines)
        } catch {
            close()
            throw error
        }
    }

    // MARK: - The socket

    private func connect(deadline: ContinuousClock.Instant, call: String) throws {
        let target = try Self.resolve(address)
        let fd = socket(target.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw connectError(errno) }
        let started = target.storage.withUnsafeBytes {
            Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), target.length)
        }
        if started != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                Glibc.close(fd)
                throw connectError(code)
            }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else {
                Glibc.close(fd)
                throw RRDError(call: "rrdc_connect", path: address,
                               message: "Unable to connect to rrdcached at \(address): no answer before the deadline", code: ETIMEDOUT, timedOut: true)
            }
            var failure: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
            guard failure == 0 else {
                Glibc.close(fd)
                throw connectError(failure)
            }
        }
        descriptor = fd
    }

    private func connectError(_ code: Int32) -> RRDError {
        RRDError(call: "rrdc_connect", path: address,
                 message: "Unable to connect to rrdcached: \(String(cString: strerror(code)))", code: code)
    }

    private func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant, call: String, path: String, timeout: Double) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(descriptor, for: Int16(POLLOUT), until: deadline) else { throw timeoutError(call, path, timeout) }
            } else {
                throw ioError(call, path, errno)
            }
        }
    }

    private func readLine(deadline: ContinuousClock.Instant, call: String, path: String, timeout: Double) throws -> String {
        var searched = readOffset
        while true {
            if let newline = pending[searched...].firstIndex(of: 0x0A) {
                let line = String(decoding: pending[readOffset..<newline], as: UTF8.self)
                readOffset = newline + 1
                if readOffset == pending.count {
                    pending.removeAll(keepingCapacity: true)
                    readOffset = 0
                }
                return line
            }
            searched = pending.count
            guard pending.count - readOffset < Self.maxAnswerBytes else {
                throw RRDError(call: call, path: path, message: "rrdcached at \(address) sent an answer over \(Self.maxAnswerBytes >> 20) MiB")
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                pending.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                throw RRDError(call: call, path: path, message: "rrdcached at \(address) closed the connection")
            } else if errno == EAGAIN || errno == EINTR {
                guard wait(descriptor, for: Int16(POLLIN), until: deadline) else { throw timeoutError(call, path, timeout) }
            } else {
                throw ioError(call, path, errno)
            }
        }
    }

    /// Waits until the socket is ready or the deadline passes (false).
    private func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - .now
            guard left > .zero else { return false }
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }   // the next send or recv reports it
        }
    }

    private func timeoutError(_ call: String, _ path: String, _ timeout: Double) -> RRDError {
        DaemonGate.timeoutError(call, path: path, address: address, timeout: timeout)
    }

    private func ioError(_ call: String, _ path: String, _ code: Int32) -> RRDError {
        RRDError(call: call, path: path, message: "rrdcached at \(address): \(String(cString: strerror(code)))", code: code)
    }

    // MARK: - The protocol's text

    /// librrd's escaping (buffer_add_string): a space or a backslash gets a backslash.
    static func escape(_ word: String) -> String {
        guard word.contains(where: { $0 == " " || $0 == "\\" }) else { return word }
        var escaped = ""
        for character in word {
            if character == " " || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// `0 Success` → (0, "Success"); a line that is not one is an error status.
    static func statusLine(_ line: String) -> (Int, String) {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard let status = parts.first.flatMap({ Int($0) }) else { return (-1, "unreadable answer: \(line.prefix(200))") }
        return (status, parts.count > 1 ? String(parts[1]) : "")
    }

    // MARK: - Addresses

    struct Target {
        var family: Int32
        var storage: [UInt8]
        var length: socklen_t
    }

    /// `unix:/path` or `/path`: a unix socket; `host:port`, `[v6]:port`, or a host
    /// alone (port 42217, as librrd). Numeric addresses are the norm; a name is
    /// resolved by getaddrinfo, which has no deadline of its own.
    static func resolve(_ address: String) throws -> Target {
        if address.hasPrefix("unix:") || address.hasPrefix("/") {
            let path = address.hasPrefix("unix:") ? String(address.dropFirst(5)) : address
            var unixAddress = sockaddr_un()
            unixAddress.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: unixAddress.sun_path)
            guard bytes.count < capacity else {
                throw RRDError(call: "rrdc_connect", path: address, message: "the socket path is longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &unixAddress.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let storage = withUnsafeBytes(of: unixAddress) { Array($0) }
            return Target(family: AF_UNIX, storage: storage, length: socklen_t(MemoryLayout<sockaddr_un>.size))
        }
        var host = address, port = "42217"
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            if rest.hasPrefix(":") { port = String(rest.dropFirst()) }
        } else if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon])
            port = String(address[address.index(after: colon)...])
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, port, &hints, &list)
        guard status == 0, let first = list else {
            throw RRDError(call: "rrdc_connect", path: address,
                           message: "Unable to connect to rrdcached: cannot resolve \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let storage = Array(UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        return Target(family: first.pointee.ai_family, storage: storage, length: first.pointee.ai_addrlen)
    }
}
