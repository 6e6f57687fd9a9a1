import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells when the collector wrote something in the state directory (a run
/// record renamed into place, an RRD file closed after writing), via inotify,
/// so that the watchdog evaluates within a moment instead of at its next poll.
final class StateDirectoryWatcher: @unchecked Sendable {
    private let descriptor: Int32

    /// `onChange` runs on the watcher's own thread.
    init?(directory: String, onChange: @escaping @Sendable () -> Void) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        guard inotify_add_watch(descriptor, directory, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) >= 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                if Self.names(in: buffer, count: count).contains(where: Self.isInteresting) {
                    onChange()
                }
            }
        }
        thread.name = "btcrate-inotify"
        thread.start()
    }

    /// Only the collector's outputs: not the watchdog's own alerts.json, not temporary files.
    static func isInteresting(_ name: String) -> Bool {
        name == RunRecordStore.fileName || name.hasSuffix(".rrd")
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
