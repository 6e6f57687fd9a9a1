/// What `btcrate rewind PAIR --to TIME` takes out of a pair's file, decided from
/// the file's 10-minute rows: every sample in a slot after TIME goes, every
/// sample up to it stays.
///
/// The rebuilt file ends at its newest kept sample (searched back as far as gap
/// repair reaches), not at TIME itself: the unknown slots between them can then
/// still be repaired from history by the next collection run.
public struct RewindPlan: Sendable, Equatable {
    /// Samples are kept up to this slot's start, inclusive.
    public let cut: Int
    /// The file's last update before the rewind.
    public let lastUpdate: Int
    /// The slots of the known samples that go.
    public let dropped: [Int]
    /// The last update of the rebuilt file.
    public let newLastUpdate: Int

    /// - Parameters:
    ///   - rows: (slot, rate) of the file's 10-minute archive from at least
    ///     `cut - window` to `lastUpdate`, rate nil where unknown.
    public init(rows: [(time: Int, rate: Double?)], lastUpdate: Int, keepingUpTo time: Int, window: Int) {
        let cut = Slot(containing: time).start
        let known = rows.filter { $0.rate != nil && $0.time <= lastUpdate }.map(\.time)
        let newestKept = known.last { $0 <= cut && $0 >= cut - window }
        self.cut = cut
        self.lastUpdate = lastUpdate
        dropped = known.filter { $0 > cut }
        newLastUpdate = min(lastUpdate, newestKept ?? cut)
    }

    /// Nothing after the cut: the file stays as it is.
    public var isNoOp: Bool { lastUpdate <= cut }
}
