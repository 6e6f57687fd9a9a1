import BTCRateTestSupport
import Foundation
import LibSystemd
import Logging
import Testing

@Suite struct SystemdTests {
    @Test func metadataKeysBecomeJournalFields() {
        #expect(Journal.fieldName("pair", prefix: "BTCRATE_") == "BTCRATE_PAIR")
        #expect(Journal.fieldName("error_class", prefix: "BTCRATE_") == "BTCRATE_ERROR_CLASS")
        #expect(Journal.fieldName("MESSAGE_ID", prefix: "BTCRATE_") == "MESSAGE_ID")
        #expect(Journal.fieldName("duration-ms", prefix: "BTCRATE_") == "BTCRATE_DURATION_MS")
        #expect(Journal.fieldName("_PID", prefix: "BTCRATE_") == "BTCRATE__PID")
    }

    @Test func outsideSystemdTheJournalIsNotClaimed() {
        // Tests run from a terminal or CI, never with stderr wired to journald.
        #expect(!Journal.isConnected || ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil)
    }

    @Test func stderrLinesAreStableAndQuoted() {
        let line = StderrLogHandler.format(level: .warning, message: "quota used up",
                                           metadata: ["source": "alphavantage", "pair": "BTC-USD", "error": "two words"])
        #expect(line == #"warning: quota used up error="two words" pair=BTC-USD source=alphavantage"#)
    }

    @Test func notifyReachesTheSocketNamedByNotifySocket() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        #expect(ServiceNotifier.notify("READY=1\nSTATUS=testing"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "READY=1\nSTATUS=testing")
    }
}
