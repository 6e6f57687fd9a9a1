/// What one collection run did for one pair. It feeds the journal, the exit
/// status and the run record.
public struct PairOutcome: Sendable, Equatable, Codable {
    public enum Result: String, Sendable, Codable {
        /// A sample for the current slot was written.
        case written
        /// The slot already had a sample (a re-run or a timer catch-up): nothing to do.
        case alreadyCollected = "already_collected"
        /// No sample could be written; `errorClass` says why.
        case failed
    }

    /// One source asked and what it answered.
    public struct Attempt: Sendable, Equatable, Codable {
        public let source: SourceID
        public let errorClass: FetchFailure.Kind?
        public let detail: String?

        public init(source: SourceID, errorClass: FetchFailure.Kind?, detail: String?) {
            self.source = source
            self.errorClass = errorClass
            self.detail = detail
        }
    }

    public let pair: CurrencyPair
    public let slot: Slot
    public var result: Result
    public var source: SourceID?
    public var rate: Double?
    public var bid: Double?
    public var ask: Double?
    public var confirmedBy: SourceID?
    public var errorClass: FetchFailure.Kind?
    public var error: String?
    public var attempts: [Attempt] = []
    public var repairedSlots = 0
    public var durationSeconds = 0.0

    public init(pair: CurrencyPair, slot: Slot, result: Result) {
        self.pair = pair
        self.slot = slot
        self.result = result
    }

    public var gotSample: Bool { result != .failed }
}

extension Slot: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(containing: try decoder.singleValueContainer().decode(Int.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(start)
    }
}
