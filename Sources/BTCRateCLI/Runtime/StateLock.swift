import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the state directory (`flock` on `.lock`), held by a
/// collection run or a backfill, so two writers never race on one RRD file.
/// The kernel drops it when the process dies, so a killed run never leaves it stuck.
final class StateLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    enum Failure: Error { case busy, cannotOpen(String) }

    static func acquire(stateDirectory: String) throws(Failure) -> StateLock {
        let path = stateDirectory + "/.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotOpen("open(\(path)): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .busy
        }
        return StateLock(descriptor: descriptor)
    }
}
