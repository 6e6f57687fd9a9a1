import Dispatch
import Foundation
@testable import LibRRD
import Testing

/// Every call to rrdcached has a deadline and every wait a bound, without a
/// daemon: the bodies here stand in for librrd calls that hang (a SIGSTOPped
/// daemon) and for ones that return.
@Suite struct DaemonGateTests {
    /// A body that hangs until released.
    final class Hang: Sendable {
        let release = DispatchSemaphore(value: 0)
        func body() -> @Sendable (DaemonConnection) throws -> Void { { [release] _ in release.wait() } }
    }

    @Test func aHungCallFailsAtItsDeadlineAndLaterOnesFailFastUntilItReturns() throws {
        let gate = DaemonGate(address: "unix:/gone.sock")
        let hang = Hang()
        // It returns at all only because of the deadline: the body never does by itself.
        #expect {
            try gate.perform("rrdc_flush", path: "/x.rrd", timeout: 0.3, hang.body())
        } throws: { error in
            (error as? RRDError)?.timedOut == true && (error as? RRDError)?.message.contains("did not answer within 0.3 s") == true
        }
        // Still stuck past a deadline: a new call is refused at once, not queued behind it.
        Thread.sleep(forTimeInterval: 0.1)
        #expect {
            try gate.perform("rrdc_update", path: "/x.rrd", timeout: 0.3) { _ in }
        } throws: { error in
            (error as? RRDError)?.message.contains("has not answered an earlier request") == true
        }
        // The hung call returns (the daemon is continued): the gate works again.
        hang.release.signal()
        Thread.sleep(forTimeInterval: 0.1)
        try gate.perform("rrdc_update", path: "/x.rrd", timeout: 2) { _ in }
    }

    @Test func aHungDaemonDoesNotHoldAnotherDaemonsGate() throws {
        let hang = Hang()
        defer { hang.release.signal() }
        let stuck = DaemonGate.forAddress("10.0.0.1:42217"), other = DaemonGate.forAddress("10.0.0.2:42217")
        #expect(DaemonGate.forAddress("10.0.0.1:42217") === stuck, "one gate per address")
        #expect(throws: RRDError.self) { try stuck.perform("rrdc_last", path: "BTC-USD.rrd", timeout: 0.2, hang.body()) }
        // The first daemon's worker is still stuck: the second's answers at once.
        try other.perform("rrdc_last", path: "ETH-USD.rrd", timeout: 5) { connection in
            #expect(connection.address == "10.0.0.2:42217")
        }
    }

    @Test func waitingCallsAreBounded() async throws {
        let gate = DaemonGate(address: "unix:/gone.sock")
        let hang = Hang()
        let total = DaemonGate.maxWaiting + 40
        let refused = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await gate.perform("rrdc_flush", path: "/x.rrd", timeout: 30, hang.body())) == nil
            }
            try? await Task.sleep(for: .milliseconds(100))   // the worker is now busy
            for _ in 1..<total {
                group.addTask {
                    do {
                        try await gate.perform("rrdc_update", path: "/x.rrd", timeout: 30) { _ in }
                        return false
                    } catch {
                        return (error as? RRDError)?.message.contains("already waiting") == true
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
            hang.release.signal()                              // let the queue drain
            var refused = 0
            for await wasRefused in group where wasRefused { refused += 1 }
            return refused
        }
        // One ran, 256 waited, the rest were turned away at once.
        #expect(refused == total - 1 - DaemonGate.maxWaiting)
    }
}
