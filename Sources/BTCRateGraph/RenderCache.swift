/// Rendered answers kept by key, least recently used first out, with identical
/// requests that arrive together produced once ("single flight").
///
/// Keys include the RRD file's version, so a new sample makes old entries
/// unreachable; they age out. Failures are never cached.
public actor RenderCache<Value: Sendable> {
    private var entries: [String: (value: Value, used: UInt64)] = [:]
    private var inFlight: [String: Task<Value, any Error>] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public enum Origin: Sendable { case cache, joined, produced }

    /// The cached value for `key`, or the one a request already in flight produces,
    /// or a new one from `produce`.
    public func value(for key: String, produce: @escaping @Sendable () async throws -> Value) async throws -> (Value, Origin) {
        clock += 1
        if let entry = entries[key] {
            entries[key]?.used = clock
            return (entry.value, .cache)
        }
        if let task = inFlight[key] {
            return (try await task.value, .joined)
        }
        let task = Task { try await produce() }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        let value = try await task.value
        store(value, for: key)
        return (value, .produced)
    }

    private func store(_ value: Value, for key: String) {
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
        entries[key] = (value, clock)
    }

    public var count: Int { entries.count }
}
