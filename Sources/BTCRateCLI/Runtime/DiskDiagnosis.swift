import BTCRateCore
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Turns "No space left on device" into what an operator needs to know: is it
/// the space or the inode table, how much is left, and the command that shows it.
/// ENOSPC means either, and open(2) of a new file fails with it on a disk that
/// has gigabytes free but no inodes.
enum DiskDiagnosis {
    /// A sentence for an errno that means a full filesystem; nil for any other.
    static func explain(_ code: Int32, directory: String) -> String? {
        guard code == ENOSPC || code == EDQUOT else { return nil }
        if code == EDQUOT {
            return "the disk quota of this user on the filesystem holding \(directory) is used up (quota -s)"
        }
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else {
            return "the filesystem holding \(directory) is full (No space left on device)"
        }
        if stats.f_files > 0 && stats.f_favail == 0 {
            return "the filesystem holding \(directory) has no free inodes left, although \(bytes(stats)) are free (No space left on device; see df -i \(directory))"
        }
        return "the filesystem holding \(directory) is full: \(bytes(stats)) free (No space left on device; see df -h \(directory))"
    }

    private static func bytes(_ stats: statvfs) -> String {
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        return Format.bytes(Int64(free))
    }
}
