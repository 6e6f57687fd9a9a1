import FoundationEssentials
import Glibc
import Logging

/// What a killed run can leave in the state directory: an RRD file it was
/// creating or rewinding. btcrate creates `NAME.rrd.creating-PID` (or
/// `NAME.rrd.creating-rewind-PID`) and links or renames it into place; librrd
/// itself writes `NAME.rrd.creating-PIDxxxxxx` first. A kill -9 in between
/// leaves them, up to 14.5 MB each.
///
/// Removed by the next command that holds the state lock, when no other run can
/// be creating one. Nothing else is ever deleted.
enum LeftoverFiles {
    static let marker = ".rrd.creating-"

    static func remove(in directory: String, logger: Logger) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.contains(marker) {
            let path = directory.trimmingTrailingSlashes + "/" + name
            var info = stat()
            // Only regular files: never follow a symlink an attacker could plant.
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(path) == 0 {
                logger.notice("removed \(name), left by an interrupted run (\(info.st_size) bytes)",
                              metadata: ["path": "\(path)"])
            } else {
                logger.warning("cannot remove \(name), left by an interrupted run: \(String(cString: strerror(errno)))",
                               metadata: ["path": "\(path)", "error_class": "storage_error"])
            }
        }
    }
}
