import Dispatch
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells when the collector wrote something in the state directory (a run
/// record renamed into place, an RRD file closed after writing), via inotify,
/// so that the watchdog evaluates within a moment instead of at its next poll.
final class StateDirectoryWatcher: @unchecked Sendable {
    /// A pipe `stop()` writes to, to wake the thread, which then closes every descriptor.
    private let stopPipe: (read: Int32, write: Int32)
    private let lock = Mutex(())
    private var closed = false

    /// `onChange` runs on the watcher's own thread. Its argument says whether the
    /// writer is done: true when the batch of events ends with the run record or
    /// the silences (the collector writes its record last), false when it ends
    /// with an RRD file, whose run record may still follow.
    init?(directory: String, onChange: @escaping @Sendable (_ settled: Bool) -> Void) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(descriptor)
            return nil
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        guard inotify_add_watch(descriptor, directory, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) >= 0 else {
            close(descriptor)
            close(ends[0])
            close(ends[1])
            return nil
        }
        let stopPipe = (read: ends[0], write: ends[1])
        self.stopPipe = stopPipe
        // A thread of its own for the blocking poll(2): a dispatch queue of one.
        DispatchQueue(label: "btcrate-inotify").async {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)]
            while true {
                let ready = poll(&descriptors, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0, descriptors[1].revents == 0 else { break }
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else { break }
                let interesting = Self.names(in: buffer, count: count).filter(Self.isInteresting)
                if let last = interesting.last {
                    onChange(!last.hasSuffix(".rrd"))
                }
            }
            self.lock.withLock { _ in
                self.closed = true
                close(descriptor)
                close(stopPipe.read)
                close(stopPipe.write)
            }
        }
    }

    /// Ends the watch (a reload or shutdown); the thread closes the descriptors.
    func stop() {
        lock.withLock { _ in
            guard !closed else { return }
            var byte: UInt8 = 1
            _ = write(stopPipe.write, &byte, 1)
        }
    }

    /// Only the collector's outputs and the silences: not the watchdog's own
    /// alerts.json, not temporary files.
    static func isInteresting(_ name: String) -> Bool {
        name == RunRecordStore.fileName || name.hasSuffix(".rrd") || name == SilenceStore.fileName
    }

    static func names(in buffer: [UInt8], count: Int) -> [String] {
        var names: [String] = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
            let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)].prefix { $0 != 0 }
            names.append(String(decoding: nameBytes, as: UTF8.self))
            offset += header + length
        }
        return names
    }
}

import BTCRateCore
