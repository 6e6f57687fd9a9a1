/// Rendered answers kept by key, least recently used first out, with identical
/// requests that arrive together produced once ("single flight").
///
/// Keys include the data's version, so a new sample makes old entries
/// unreachable; they age out. Failures are never cached. The clients of a
/// render in flight form its audience: a joining request adds its connection,
/// and the render is dropped only if all of them leave before a worker takes it.
public actor RenderCache<Value: Sendable> {
    private var entries: [String: (value: Value, used: UInt64)] = [:]
    private var inFlight: [String: (task: Task<Value, any Error>, audience: RenderAudience)] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public enum Origin: Sendable { case cache, joined, produced }

    /// The cached value for `key`, or the one a request already in flight produces,
    /// or a new one from `produce`.
    /// `client` is asked only on a miss: a hit needs no connection.
    public func value(for key: String, client: @Sendable () -> ClientConnection?,
                      produce: @escaping @Sendable (RenderAudience) async throws -> Value) async throws -> (Value, Origin) {
        clock += 1
        if let entry = entries[key] {
            entries[key]?.used = clock
            return (entry.value, .cache)
        }
        if let flight = inFlight[key] {
            flight.audience.join(client())
            return (try await flight.task.value, .joined)
        }
        let audience = RenderAudience(client())
        let task = Task { try await produce(audience) }
        inFlight[key] = (task, audience)
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
