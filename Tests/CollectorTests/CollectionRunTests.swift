@testable import BTCRateCLI
import BTCRateCore
import BTCRateTestSupport
import FakePriceServer
import Foundation
import LibRRD
import Testing

/// One collection run end to end: libcurl against the loopback fake, real RRD files.
@Suite(.serialized) struct CollectionRunTests {
    @Test func storesTheObservedValueExactlyAtTheStartOfTheSlot() async throws {
        let stack = try TestStack()
        let result = await stack.collect()
        #expect(result.exitCode == 0)
        let expected = FakePriceServer.defaultPrice(Int(stack.clock.now().timeIntervalSince1970))
        let last = try stack.rrd.lastUpdate()
        #expect(last.time == 1_705_320_000)
        #expect(last.values["rate"] == expected)
        #expect(last.values["bid"] == expected - 5 && last.values["ask"] == expected + 5)
        #expect(try stack.storedRates(from: 1_705_320_000, to: 1_705_320_000) == [expected])
        let record = try #require(stack.record)
        #expect(record.pairs.first?.source == .alphavantage)
        #expect(record.pairs.first?.result == .written)
        #expect(record.pairs.first?.slot == "2024-01-15T12:00:00Z")
    }

    @Test func theFileMatchesTheDocumentedLayout() async throws {
        let stack = try TestStack()
        _ = await stack.collect()
        let info = try stack.rrd.info()
        #expect(info["step"] == .count(600))
        for name in RRDLayout.dataSources {
            #expect(info["ds[\(name)].type"]?.stringValue == "GAUGE")
            #expect(info["ds[\(name)].minimal_heartbeat"] == .count(600))
        }
        for (index, archive) in RRDLayout.archives.enumerated() {
            #expect(info["rra[\(index)].cf"]?.stringValue == archive.consolidation)
            #expect(info["rra[\(index)].pdp_per_row"] == .count(UInt(archive.steps)))
            #expect(info["rra[\(index)].rows"] == .count(UInt(archive.rows)))
        }
        let size = try #require(stack.fileBytes?.count)
        #expect(size > RRDLayout.valueBytes && size < RRDLayout.valueBytes + 16_384)
    }

    @Test func aSecondRunInTheSameSlotChangesNothing() async throws {
        let stack = try TestStack()
        _ = await stack.collect()
        let before = stack.fileBytes
        stack.clock.advance(by: 300)
        let again = await stack.collect()
        #expect(again.exitCode == 0)
        #expect(again.record?.pairs.first?.result == .alreadyCollected)
        #expect(stack.fileBytes == before)
        #expect(stack.server.requests(for: .alphavantage).count == 1)
    }

    static let badAnswers: [(FakeBehaviour, FetchFailure.Kind)] = [
        (.body(AlphaVantageBodies.dailyQuota(key: TestStack.apiKey)), .quotaExhausted),
        (.body(AlphaVantageBodies.dailyQuotaThankYou), .quotaExhausted),
        (.body(AlphaVantageBodies.burst), .burstLimit),
        (.body(AlphaVantageBodies.oldNote), .burstLimit),
        (.body(AlphaVantageBodies.invalidKey), .invalidKey),
        (.body(AlphaVantageBodies.invalidCall), .invalidCall),
        (.body(AlphaVantageBodies.premium), .premiumOnly),
        (.body(AlphaVantageBodies.demo), .demoKey),
        (.body(AlphaVantageBodies.otherInformation), .apiMessage),
        (.body(AlphaVantageBodies.notJSON), .malformedBody),
        (.body(AlphaVantageBodies.wrongShape), .malformedBody),
        (.body(#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "NaN", "6. Last Refreshed": "2024-01-15 12:10:00", "7. Time Zone": "UTC"}}"#), .notFinite),
        (.body(#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "-45000", "6. Last Refreshed": "2024-01-15 12:10:00", "7. Time Zone": "UTC"}}"#), .outOfBounds),
        (.body(#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "45000", "6. Last Refreshed": "2024-01-15 12:10:00", "7. Time Zone": "UTC", "8. Bid Price": "45010", "9. Ask Price": "44990"}}"#), .bidAboveAsk),
        (.body(#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "45000", "6. Last Refreshed": "2024-01-14 12:10:00", "7. Time Zone": "UTC"}}"#), .staleQuote),
        (.body(#"{"Realtime Currency Exchange Rate": {"5. Exchange Rate": "45000", "6. Last Refreshed": "2024-01-15 18:10:00", "7. Time Zone": "UTC"}}"#), .futureQuote),
        (.body("Service Unavailable", status: 503), .httpError),
        (.body("slow down", status: 429), .rateLimited),
        (.slow(seconds: 4), .timeout),
        (.truncated, .transferFailed),
        (.closeMidBody, .transferFailed),
        (.closeImmediately, .transferFailed),
        (.oversized(bytes: 2_000_000), .bodyTooLarge),
        (.chunkedOversized(bytes: 2_000_000), .bodyTooLarge),
    ]

    /// The brief's rule: a bad point never gets written. Compare the bytes.
    @Test(arguments: badAnswers)
    func noBadAnswerEverChangesTheFile(behaviour: FakeBehaviour, kind: FetchFailure.Kind) async throws {
        let stack = try TestStack()
        stack.configuration.sources = [.alphavantage]
        _ = await stack.collect()
        let before = try #require(stack.fileBytes)
        stack.advance(slots: 1)
        stack.server.set(.alphavantage, behaviour)
        let result = await stack.collect()
        #expect(result.exitCode == ExitStatus.noSample)
        #expect(result.record?.pairs.first?.errorClass == kind)
        #expect(stack.fileBytes == before)
        #expect(stack.log.lines.contains { $0.metadata["error_class"] == kind.rawValue && $0.level >= .warning })
        #expect(!stack.log.allText.contains(TestStack.apiKey))
        #expect(result.record?.pairs.first?.consecutiveFailures == 1)
    }

    @Test func aQuotaAnswerFallsBackToAKeylessSourceAndNeverLeaksTheKey() async throws {
        let stack = try TestStack()
        stack.server.set(.alphavantage, .body(AlphaVantageBodies.dailyQuota(key: TestStack.apiKey)))
        let result = await stack.collect()
        #expect(result.exitCode == 0)
        let entry = try #require(result.record?.pairs.first)
        #expect(entry.source == .coinbase)
        #expect(entry.attempts.map(\.errorClass) == [.quotaExhausted])
        #expect(entry.attempts.first?.detail?.contains("[REDACTED]") == true)
        let recordText = try String(contentsOfFile: stack.directory.file("last-run.json"), encoding: .utf8)
        #expect(!recordText.contains(TestStack.apiKey))
        #expect(!stack.log.allText.contains(TestStack.apiKey))
        #expect(stack.log.lines.contains { $0.message.contains("daily request quota is used up") })
    }

    @Test func withoutAKeyOnlyKeylessSourcesAreAskedAndTheJournalSaysSo() async throws {
        let stack = try TestStack()
        let result = await stack.collect(key: nil)
        #expect(result.exitCode == 0)
        #expect(result.record?.keylessOnly == true)
        #expect(stack.server.requests(for: .alphavantage).isEmpty)
        #expect(stack.log.lines.filter { $0.message.hasPrefix("no Alpha Vantage key configured") }.count == 1)
    }

    @Test func aGapIsRepairedFromHistoryAndHolesStayGaps() async throws {
        let stack = try TestStack()
        _ = await stack.collect()
        let first = stack.slot
        stack.server.setHistoryHoles([(first + 1200)...(first + 1200)])
        stack.advance(slots: 6)
        let result = await stack.collect()
        #expect(result.exitCode == 0)
        #expect(result.record?.pairs.first?.filledSlots == 4)
        let rates = try stack.storedRates(from: first, to: first + 3600)
        #expect(rates.count == 7)
        #expect(rates[2].isNaN)
        for index in [1, 3, 4, 5] {
            #expect(rates[index] == FakePriceServer.defaultPrice(first + index * 600))
        }
        #expect(!rates[6].isNaN)
    }

    @Test func withoutHistoryTheMissedSlotsStayUnknown() async throws {
        let stack = try TestStack()
        _ = await stack.collect()
        let first = stack.slot
        stack.server.set(.bitstampHistory, .body("down", status: 502))
        stack.advance(slots: 3)
        let result = await stack.collect()
        #expect(result.exitCode == 0)
        let rates = try stack.storedRates(from: first, to: first + 1800)
        #expect(!rates[0].isNaN && rates[1].isNaN && rates[2].isNaN && !rates[3].isNaN)
        #expect(stack.log.lines.contains { $0.message.hasPrefix("gap repair stopped") })
    }

    @Test func aFullDiskIsAStorageErrorAndTheFileSurvives() async throws {
        let stack = try TestStack()
        _ = await stack.collect()
        let before = try #require(stack.fileBytes)
        // A read-only file stands in for a full or broken disk: librrd cannot open it for writing.
        chmod(stack.rrd.path, 0o444)
        defer { chmod(stack.rrd.path, 0o644) }
        guard getuid() != 0 else {
            // Root ignores file modes; make the path unwritable another way: replace it with a directory.
            try FileManager.default.moveItem(atPath: stack.rrd.path, toPath: stack.rrd.path + ".saved")
            try FileManager.default.createDirectory(atPath: stack.rrd.path, withIntermediateDirectories: false)
            stack.advance(slots: 1)
            let result = await stack.collect()
            #expect(result.exitCode == ExitStatus.storage)
            #expect(result.record?.pairs.first?.errorClass == .storageError)
            try FileManager.default.removeItem(atPath: stack.rrd.path)
            try FileManager.default.moveItem(atPath: stack.rrd.path + ".saved", toPath: stack.rrd.path)
            #expect(stack.fileBytes == before)
            return
        }
        stack.advance(slots: 1)
        let result = await stack.collect()
        #expect(result.exitCode == ExitStatus.storage)
        #expect(stack.fileBytes == before)
    }

    @Test func aSecondCollectorWaitsItsTurn() async throws {
        let stack = try TestStack()
        let lock = try StateLock.acquire(stateDirectory: stack.directory.path)
        let result = await stack.collect()
        #expect(result.exitCode == ExitStatus.busy)
        #expect(stack.fileBytes == nil)
        withExtendedLifetime(lock) {}
    }

    @Test func consecutiveFailuresAccumulateAndResetOnSuccess() async throws {
        let stack = try TestStack()
        stack.configuration.sources = [.coinbase]
        stack.server.set(.coinbase, .body("down", status: 500))
        _ = await stack.collect()
        stack.advance(slots: 1)
        let second = await stack.collect()
        #expect(second.record?.pairs.first?.consecutiveFailures == 2)
        #expect(second.record?.pairs.first?.lastSuccess == nil)
        stack.server.reset()
        stack.advance(slots: 1)
        let third = await stack.collect()
        #expect(third.record?.pairs.first?.consecutiveFailures == 0)
        #expect(third.record?.pairs.first?.lastSuccess != nil)
    }

    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func throughRRDCachedTheNextRunStillSeesTheLastSample() async throws {
        let stack = try TestStack()
        let daemon = try RRDCachedDaemon(directory: stack.directory.path)
        stack.configuration.rrdcachedAddress = daemon.address
        _ = await stack.collect()
        stack.advance(slots: 1)
        let second = await stack.collect()
        // Had the collector read the file without flushing the daemon, it would have
        // seen no sample and tried to repair a gap.
        #expect(second.exitCode == 0)
        #expect(second.record?.pairs.first?.filledSlots == 0)
        #expect(stack.server.requests(for: .bitstampHistory).isEmpty)
        stack.advance(slots: 1)
        _ = await stack.collect()
        // The runs read the newest slot from the daemon (LAST) and its rate from the
        // run record, without a flush: the file on disk still lacks the queued updates.
        let onDisk = try stack.rrd.lastUpdate().time
        #expect(onDisk < stack.slot)
        let first = stack.slot - 1200
        try await RRDCachedClient(address: daemon.address).flush(file: stack.rrd)
        let rates = try stack.storedRates(from: first, to: first + 1200)
        #expect(rates.count == 3 && rates.allSatisfy { !$0.isNaN })
        withExtendedLifetime(daemon) {}
    }

    /// Two collectors (two state directories, as on two hosts) and one storage
    /// host's rrdcached over TCP: the file is created once on the daemon, one
    /// sample is stored for the slot, and the second run finds it there and exits
    /// 0. No RRD file appears in either state directory.
    @Test(.enabled(if: RRDCachedDaemon.executable != nil, "rrdcached is installed by scripts/install-deps"))
    func twoCollectorsOnOneDaemonOverTCPStoreOneSample() async throws {
        let storage = TemporaryDirectory()
        let daemon = try RRDCachedDaemon(directory: storage.path, tcpPort: RRDCachedDaemon.freePort())
        let address = try #require(daemon.tcpAddress)
        let first = try TestStack(), second = try TestStack()
        first.configuration.rrdcachedAddress = address
        second.configuration.rrdcachedAddress = address
        let a = await first.collect()
        let b = await second.collect()
        #expect(a.exitCode == 0 && b.exitCode == 0)
        #expect(a.record?.pairs.first?.result == .written)
        #expect(b.record?.pairs.first?.result == .alreadyCollected, "\(String(describing: b.record?.pairs.first?.result))")
        #expect(FileManager.default.fileExists(atPath: storage.file("BTC-USD.rrd")))
        for stack in [first, second] {
            #expect(!FileManager.default.fileExists(atPath: stack.configuration.rrdPath(for: stack.pair)), "no local RRD file")
        }
        // The next slot: the other collector writes it, reading the first one's sample over the wire.
        second.advance(slots: 1)
        let c = await second.collect()
        #expect(c.exitCode == 0 && c.record?.pairs.first?.result == .written && c.record?.pairs.first?.filledSlots == 0)
        let client = RRDCachedClient(address: address)
        let rates = try client.fetch(file: RRDFile(path: "BTC-USD.rrd"), consolidation: "AVERAGE",
                                     start: second.slot - 1200, end: second.slot).column("rate").filter { !$0.value.isNaN }
        #expect(rates.count == 2)
        withExtendedLifetime(daemon) {}
    }

    @Test func manyPairsInOneRun() async throws {
        let stack = try TestStack()
        stack.configuration.pairs = try (0..<20).map { try CurrencyPair(parsing: "B\($0)-USD") }
        stack.configuration.concurrency = 4
        let result = await stack.collect()
        #expect(result.exitCode == 0)
        #expect(result.record?.pairs.count == 20)
        #expect(stack.configuration.pairs.allSatisfy { FileManager.default.fileExists(atPath: stack.configuration.rrdPath(for: $0)) })
    }
}
