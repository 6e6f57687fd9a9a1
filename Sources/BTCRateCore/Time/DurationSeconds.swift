extension Duration {
    /// The duration in seconds, as a Double: for metrics, logs and deadlines
    /// counted in seconds (the render queue's wait, an HTTP answer's time).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
