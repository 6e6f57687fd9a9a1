import BlockingCalls

/// Runs a blocking storage call (librrd, file I/O) on the process's pool for
/// blocking calls (`Blocking`), so that it never holds one of the few
/// cooperative-pool threads. A full pool is a storage failure like any other.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws(StorageFailure) -> T) async throws(StorageFailure) -> T {
    do {
        return try await Blocking.run { () throws -> T in try body() }
    } catch let failure as StorageFailure {
        throw failure
    } catch {
        throw StorageFailure("\(error)")
    }
}
