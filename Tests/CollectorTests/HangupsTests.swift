@testable import BTCRateCLI
import Testing

/// SIGHUP is never lost between rounds of ReloadingService (fed here through a
/// plain stream instead of the real signal).
@Suite struct HangupsTests {
    /// The first element of `stream`, or nil if none comes within a second.
    func first(_ stream: AsyncStream<Void>) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in stream { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                return false
            }
            let result = await group.next() ?? false
            group.cancelAll()
            return result
        }
    }

    func settle() async { try? await Task.sleep(for: .milliseconds(50)) }

    @Test func aSignalDuringAReloadReachesTheNextRound() async {
        let (signals, send) = AsyncStream.makeStream(of: Void.self)
        let hangups = Hangups(signals)
        let round = hangups.nextRound()
        send.yield()
        #expect(await first(round))
        hangups.beginReload()
        send.yield()                       // while the old service stops and the new one starts
        await settle()
        #expect(await first(hangups.nextRound()))
    }

    @Test func aSignalDuringARefusedReloadReachesTheSameRound() async {
        let (signals, send) = AsyncStream.makeStream(of: Void.self)
        let hangups = Hangups(signals)
        let round = hangups.nextRound()
        hangups.beginReload()
        send.yield()
        await settle()
        hangups.reloadRefused()
        #expect(await first(round))
    }

    @Test func aSignalBeforeTheFirstRoundIsKept() async {
        let (signals, send) = AsyncStream.makeStream(of: Void.self)
        let hangups = Hangups(signals)
        send.yield()
        await settle()
        #expect(await first(hangups.nextRound()))
    }
}
