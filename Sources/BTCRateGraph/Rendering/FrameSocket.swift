#if canImport(Glibc)
import Glibc
#endif

/// One end of the socket pair between the graph service and a render worker,
/// carrying `RenderWire` frames. The service's end is non-blocking and every
/// read and write has a deadline: a worker that hangs or is stopped (SIGSTOP)
/// costs at most `graph.render_timeout`, never a thread for ever. The worker's
/// end blocks: it has nothing else to do.
struct FrameSocket {
    let descriptor: Int32

    enum Failure: Error, CustomStringConvertible {
        /// The deadline passed before the frame was through.
        case timedOut
        /// The other end closed (a worker that died, a service that went away).
        case closed
        case system(call: String, errno: Int32)
        case malformed(String)

        var description: String {
            switch self {
            case .timedOut: "no answer before the deadline"
            case .closed: "the other end closed the connection"
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            case .malformed(let what): what
            }
        }
    }

    func send(_ payload: [UInt8], deadline: ContinuousClock.Instant? = nil) throws(Failure) {
        try write(RenderWire.header(payload.count) + payload, deadline: deadline)
    }

    /// Whether something arrives within `milliseconds`: a frame, or the other end
    /// hanging up (the next `receive` says which). For the worker's blocking end,
    /// to notice it is idle.
    func isReadable(within milliseconds: Int32) -> Bool {
        do {
            try wait(for: Int16(POLLIN), deadline: ContinuousClock.now + .milliseconds(milliseconds))
            return true
        } catch .timedOut {
            return false
        } catch {
            return true
        }
    }

    func receive(deadline: ContinuousClock.Instant? = nil) throws(Failure) -> [UInt8] {
        let length: Int
        do {
            length = try RenderWire.length(ofHeader: try read(4, deadline: deadline))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .malformed("\(error)")
        }
        return try read(length, deadline: deadline)
    }

    private func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant?) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if result > 0 {
                sent += result
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int16(POLLOUT), deadline: deadline)
            } else if errno == EPIPE || errno == ECONNRESET {
                throw .closed
            } else {
                throw .system(call: "send", errno: errno)
            }
        }
    }

    private func read(_ count: Int, deadline: ContinuousClock.Instant?) throws(Failure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let result = buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress! + received, count - received, 0) }
            if result > 0 {
                received += result
            } else if result == 0 {
                throw .closed
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int16(POLLIN), deadline: deadline)
            } else if errno == ECONNRESET {
                throw .closed
            } else {
                throw .system(call: "recv", errno: errno)
            }
        }
        return buffer
    }

    /// Waits until the socket is ready for `events`, or throws `timedOut` at the deadline.
    private func wait(for events: Int16, deadline: ContinuousClock.Instant?) throws(Failure) {
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            var milliseconds: Int32 = -1
            if let deadline {
                let left = deadline - .now
                guard left > .zero else { throw .timedOut }
                let (seconds, attoseconds) = left.components
                milliseconds = Int32(min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
            }
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }   // readable, writable, or hung up: the next call says which
            if ready < 0 && errno != EINTR { throw .system(call: "poll", errno: errno) }
        }
    }
}
