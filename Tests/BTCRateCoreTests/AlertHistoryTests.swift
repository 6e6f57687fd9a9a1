import BTCRateCore
import BTCRateTestSupport
import Foundation
import Testing

/// alert-history.jsonl: what the watchdog appends, what the graph and
/// `btcrate alerts history` read back, within its bound and despite bad lines.
@Suite struct AlertHistoryTests {
    let directory = TemporaryDirectory()

    func state(_ name: AlertName, pair: String = "BTC-USD", severity: Severity = .warning, summary: String = "s",
               startedAt: Int? = nil, firedAt: Int = 1000) -> AlertState {
        AlertState(key: AlertKey(name, pair: pair), phase: .firing, severity: severity, summary: summary, description: "d",
                   value: "7", threshold: "6", activeSince: firedAt, firedAt: firedAt, lastNotifiedAt: firedAt, startedAt: startedAt)
    }

    func fired(_ name: AlertName, pair: String = "BTC-USD", severity: Severity = .warning, at: Int, startedAt: Int? = nil,
               previous: Severity? = nil) -> Transition {
        Transition(kind: .firing, alert: state(name, pair: pair, severity: severity, summary: "\(name) \(severity)", startedAt: startedAt, firedAt: at),
                   at: at, previousSeverity: previous)
    }

    func resolved(_ name: AlertName, pair: String = "BTC-USD", severity: Severity = .warning, at: Int, firedAt: Int,
                  startedAt: Int? = nil) -> Transition {
        Transition(kind: .resolved, alert: state(name, pair: pair, severity: severity, summary: "\(name) \(severity)", startedAt: startedAt, firedAt: firedAt),
                   at: at, note: "cleared")
    }

    var lines: [String] {
        let text = (try? String(contentsOfFile: directory.file(AlertHistory.fileName), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test func firingsEscalationsAndResolutionsAreRecordedButNotRepeats() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        let firing = fired(.rateStale, at: 1000, startedAt: 880)
        let repeated = Transition(kind: .repeated, alert: firing.alert, at: 1600)
        let escalated = fired(.rateStale, severity: .critical, at: 2000, startedAt: 880, previous: .warning)
        try history.append([firing, repeated])
        try history.append([repeated])
        try history.append([escalated, resolved(.rateStale, severity: .critical, at: 3000, firedAt: 1000, startedAt: 880)])

        let events = history.events(since: nil)
        #expect(events.map(\.event) == [.firing, .firing, .resolved])
        #expect(events.map(\.at) == [1000, 2000, 3000])
        #expect(events[0] == AlertHistoryEvent(at: 1000, event: .firing, alert: "RateStale", pair: "BTC-USD", severity: .warning,
                                               summary: "rateStale warning", startedAt: 880, value: "7", threshold: "6"))
        #expect(events[1].previousSeverity == .warning && events[1].severity == .critical)
        #expect(events[2].note == "cleared")
        #expect(history.events(since: 2000).map(\.at) == [2000, 3000])

        // One compact line each, snake_case, nil fields left out.
        #expect(lines.count == 3)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["event"] as? String == "firing" && first["alert"] as? String == "RateStale")
        #expect(first["started_at"] as? Int == 880 && first["at"] as? Int == 1000 && first["pair"] as? String == "BTC-USD")
        #expect(first["previous_severity"] == nil && first["note"] == nil)
        #expect(lines[1].contains("\"previous_severity\":\"warning\""))

        var info = stat()
        #expect(stat(history.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o644)   // the graph service reads it
    }

    @Test func aStackAlertHasNoPair() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        try history.append([fired(.unitFailed, pair: "", severity: .critical, at: 500)])
        #expect(history.events(since: nil).first?.pair == nil)
        #expect(!lines[0].contains("\"pair\""))
    }

    @Test func noFileIsAnEmptyHistory() throws {
        let history = AlertHistory(stateDirectory: directory.path + "/nowhere")
        #expect(history.events(since: nil).isEmpty)
        #expect(history.periods(overlapping: nil, pair: nil).isEmpty)
        try history.checkReadable()
        // Nothing to record creates no file.
        try AlertHistory(stateDirectory: directory.path).append([])
        #expect(!FileManager.default.fileExists(atPath: directory.file(AlertHistory.fileName)))
    }

    /// Rotation keeps both files under the bound and the reader reads across them:
    /// the newest events, in order, without a gap at the seam.
    @Test func rotationKeepsTheNewestEventsWithinTheBound() throws {
        let maxBytes = 1000
        let history = AlertHistory(stateDirectory: directory.path, maxBytes: maxBytes)
        for index in 0..<200 {
            try history.append([fired(.priceMove, at: 10_000 + index)])
        }
        let current = try FileManager.default.attributesOfItem(atPath: history.path)[.size] as? Int ?? 0
        let older = try FileManager.default.attributesOfItem(atPath: history.rotatedPath)[.size] as? Int ?? 0
        #expect(current <= maxBytes && older <= maxBytes && older > maxBytes / 2)
        let times = history.events(since: nil).map(\.at)
        #expect(times.count > 4 && times.last == 10_199)
        #expect(times == Array((10_200 - times.count)..<10_200))
        #expect(!FileManager.default.fileExists(atPath: history.path + ".2"))

        // A batch that crosses the bound rotates in the middle and loses nothing of itself.
        let batch = (0..<4).map { fired(.spreadWide, at: 20_000 + $0) }
        try history.append(batch)
        #expect(history.events(since: 20_000).map(\.at) == Array(20_000..<20_004))
    }

    /// A line torn by a crash, a hand edit or a stray newline costs that line only,
    /// and the next append starts on a line of its own.
    @Test func tornAndGarbageLinesAreSkipped() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        try history.append([fired(.flatline, at: 100), resolved(.flatline, at: 200, firedAt: 100)])
        let handle = try #require(FileHandle(forWritingAtPath: history.path))
        handle.seekToEndOfFile()
        handle.write(Data("not json at all\n\n{\"at\": 5, \"event\": \"exploded\"}\n{\"alert\":\"RateSt".utf8))
        try handle.close()
        #expect(history.events(since: nil).map(\.at) == [100, 200])
        #expect(history.periods(overlapping: nil, pair: nil).count == 1)

        try history.append([fired(.flatline, at: 300)])
        #expect(history.events(since: nil).map(\.at) == [100, 200, 300])
        #expect(lines.last?.hasPrefix("{") == true && lines.contains("{\"alert\":\"RateSt"))
    }

    /// A file grown past the bound by other means is read from its end, at most maxBytes.
    @Test func theReaderReadsAtMostTheBoundOfEachFile() throws {
        let maxBytes = 2000
        let big = AlertHistory(stateDirectory: directory.path, maxBytes: 1 << 20)
        for index in 0..<100 { try big.append([fired(.priceMove, at: index)]) }
        let bounded = AlertHistory(stateDirectory: directory.path, maxBytes: maxBytes)
        let times = bounded.events(since: nil).map(\.at)
        #expect(!times.isEmpty && times.count < 20 && times.last == 99)
        #expect(times == Array((100 - times.count)..<100))   // the cut never yields half a line
    }

    /// Two writers at once (btcrate run beside the unit): whole lines only, one
    /// rotation at a time, nothing lost that the bound keeps.
    @Test func concurrentWritersNeitherInterleaveNorRotateTwice() throws {
        let path = directory.path
        let maxBytes = 4000
        let writes = (0..<4).map { writer in (0..<300).map { fired(.priceMove, pair: "W\(writer)", at: writer * 1000 + $0) } }
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            let history = AlertHistory(stateDirectory: path, maxBytes: maxBytes)
            for transition in writes[writer] { try? history.append([transition]) }
        }
        let history = AlertHistory(stateDirectory: path, maxBytes: maxBytes)
        var sizes: [Int] = []
        var longest = 0
        for file in [history.rotatedPath, history.path] {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            sizes.append(text.utf8.count)
            #expect(text.hasSuffix("\n"))
            for line in text.split(separator: "\n") {
                longest = max(longest, line.utf8.count + 1)
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "torn line: \(line)")
            }
        }
        // Each file within the bound (no writer appended to a file already rotated), and
        // .1 was rotated full (no second writer rotated a fresh file over it).
        #expect(sizes.allSatisfy { $0 <= maxBytes })
        #expect(sizes[0] > maxBytes - longest)
        let events = history.events(since: nil)
        // Each writer's own events stay in its order, and the newest one of the last writer is there.
        for writer in 0..<4 {
            let times = events.filter { $0.pair == "W\(writer)" }.map(\.at)
            #expect(times == times.sorted())
        }
        #expect(Set(events.map(\.at)).count == events.count)
    }

    /// A writer that waited for the lock while another rotated appends to the new
    /// file, not to the one now named `.1`.
    @Test func aWriterThatWaitedThroughARotationAppendsToTheNewFile() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        try history.append([fired(.flatline, at: 1)])
        let holder = open(history.path, O_RDONLY | O_CLOEXEC)
        #expect(flock(holder, LOCK_EX) == 0)
        let done = DispatchSemaphore(value: 0)
        let path = directory.path, transition = fired(.flatline, at: 2)
        Thread.detachNewThread {
            try? AlertHistory(stateDirectory: path).append([transition])
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut)   // it waits for the lock
        #expect(rename(history.path, history.rotatedPath) == 0)
        close(holder)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(history.events(since: nil).map(\.at) == [1, 2])
        #expect(lines.count == 1 && lines[0].contains("\"at\":2,"))
    }

    @Test func periodsPairFiringsWithResolutions() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        try history.append([fired(.collectorFailing, at: 1000)])
        try history.append([fired(.rateStale, at: 1200, startedAt: 1100)])
        try history.append([fired(.unitFailed, pair: "", severity: .critical, at: 1300)])
        try history.append([resolved(.collectorFailing, at: 1500, firedAt: 1000)])
        try history.append([fired(.rateStale, severity: .critical, at: 2000, startedAt: 1100, previous: .warning)])
        try history.append([fired(.rateStale, severity: .warning, at: 2500, startedAt: 1100, previous: .critical)])
        try history.append([resolved(.rateStale, at: 3000, firedAt: 1200, startedAt: 1100)])
        try history.append([fired(.collectorFailing, at: 4000), fired(.priceMove, pair: "ETH-USD", at: 4100)])

        let all = history.periods(overlapping: nil, pair: nil)
        #expect(all == [
            AlertPeriod(alert: "CollectorFailing", pair: "BTC-USD", severity: .warning, summary: "collectorFailing warning", start: 1000, end: 1500),
            // The escalation continues the period, which keeps its highest severity and that severity's summary.
            AlertPeriod(alert: "RateStale", pair: "BTC-USD", severity: .critical, summary: "rateStale critical", start: 1100, end: 3000),
            AlertPeriod(alert: "UnitFailed", pair: nil, severity: .critical, summary: "unitFailed critical", start: 1300, end: nil),
            AlertPeriod(alert: "CollectorFailing", pair: "BTC-USD", severity: .warning, summary: "collectorFailing warning", start: 4000, end: nil),
            AlertPeriod(alert: "PriceMove", pair: "ETH-USD", severity: .warning, summary: "priceMove warning", start: 4100, end: nil),
        ])
        // A pair's periods leave out the stack's alerts and the other pairs.
        #expect(history.periods(overlapping: nil, pair: "BTC-USD").map(\.start) == [1000, 1100, 4000])
        #expect(history.periods(overlapping: nil, pair: "ETH-USD").map(\.alert) == ["PriceMove"])
        #expect(history.periods(overlapping: nil, pair: "XRP-USD").isEmpty)
        // Overlap: touching an end counts; an open period reaches to now.
        #expect(history.periods(overlapping: 1600...1900, pair: nil).map(\.alert) == ["RateStale", "UnitFailed"])
        #expect(history.periods(overlapping: 1500...1500, pair: "BTC-USD").map(\.alert) == ["CollectorFailing", "RateStale"])
        #expect(history.periods(overlapping: 0...999, pair: nil).isEmpty)
        #expect(history.periods(overlapping: 9000...9999, pair: "BTC-USD").map(\.start) == [4000])
    }

    /// What a rotation or a crash does to the pairs: a resolved whose firing rotated
    /// away still makes its period; a change seen twice makes no second one.
    @Test func periodsSurviveMissingAndRepeatedLines() throws {
        let history = AlertHistory(stateDirectory: directory.path)
        try history.append([resolved(.spreadWide, at: 900, firedAt: 600, startedAt: 500)])
        try history.append([resolved(.spreadWide, at: 900, firedAt: 600, startedAt: 500)])
        try history.append([fired(.flatline, at: 1000)])
        try history.append([fired(.flatline, at: 1000)])
        try history.append([resolved(.flatline, at: 1100, firedAt: 1000)])
        try history.append([resolved(.flatline, at: 1100, firedAt: 1000)])
        let periods = history.periods(overlapping: nil, pair: nil)
        #expect(periods.map { [$0.start, $0.end ?? -1] } == [[500, 900], [1000, 1100]])
    }

    @Test func aHistoryThatCannotBeWrittenThrows() throws {
        try FileManager.default.createDirectory(atPath: directory.file(AlertHistory.fileName), withIntermediateDirectories: false)
        let history = AlertHistory(stateDirectory: directory.path)
        #expect(throws: AtomicFile.WriteError.self) { try history.append([fired(.flatline, at: 1)]) }
        #expect(history.events(since: nil).isEmpty)
    }
}
