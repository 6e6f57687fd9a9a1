import BTCRateCore
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the state directory (`flock` on `.lock`), held by every
/// command that writes RRD files (collect, backfill, rewind), so two writers never
/// race on one file. The kernel drops it when the process dies, so a killed run
/// never leaves it stuck.
final class StateLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    enum Failure: Error, CustomStringConvertible {
        case busy
        case cannotOpen(path: String, code: Int32)

        var description: String {
            switch self {
            case .busy:
                return "another collect, backfill or rewind holds the state directory lock"
            case .cannotOpen(let path, let code):
                let directory = Paths.parent(of: path)
                let reason = DiskDiagnosis.explain(code, directory: directory) ?? String(cString: strerror(code))
                return "cannot open the lock file \(path): \(reason)"
            }
        }
    }

    static func acquire(stateDirectory: String) throws(Failure) -> StateLock {
        let path = stateDirectory + "/.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .busy
        }
        return StateLock(descriptor: descriptor)
    }

    /// Why a writing command could not start, as the exit status to end with.
    struct Refused: Error {
        let exitCode: Int32
    }

    /// Takes the lock for a command that writes RRD files, then removes what an
    /// earlier, killed run left half-made (see `LeftoverFiles`): with the lock
    /// held, no other run can be making one. A busy lock is a warning and exit 75;
    /// a lock file that cannot be opened is a storage failure, exit 73.
    static func forWriting(stateDirectory: String, logger: Logger) throws(Refused) -> StateLock {
        do {
            let lock = try acquire(stateDirectory: stateDirectory)
            LeftoverFiles.remove(in: stateDirectory, logger: logger)
            return lock
        } catch .busy {
            logger.warning("\(Failure.busy); this run does nothing", metadata: ["error_class": "busy"])
            throw Refused(exitCode: ExitStatus.busy)
        } catch {
            logger.error("\(error)", metadata: ["error_class": "storage_error"])
            throw Refused(exitCode: ExitStatus.storage)
        }
    }
}
