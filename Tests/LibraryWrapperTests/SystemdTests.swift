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

    @Test func aStderrEntryIsAlwaysOneLine() {
        let line = StderrLogHandler.format(level: .error, message: "bad body:\nerror: forged",
                                           metadata: ["detail": "a\r\nb", "x": "c\rd"])
        #expect(!line.utf8.contains(10) && !line.utf8.contains(13))
        #expect(line.hasPrefix("error: bad body:\\nerror: forged"))
        #expect(line.contains("detail=a\\nb") && line.contains("x=c\\rd"))
    }

    @Test func notifyReachesTheSocketNamedByNotifySocket() async throws {
        try await AsyncLock.notifyEnvironment.withLock {
            let directory = TemporaryDirectory()
            let socket = try NotifySocket(path: directory.file("notify.sock"))
            setenv("NOTIFY_SOCKET", socket.path, 1)
            defer { unsetenv("NOTIFY_SOCKET") }
            #expect(ServiceNotifier.notify("READY=1\nSTATUS=testing"))
            #expect(socket.receive(timeout: 5) == "READY=1\nSTATUS=testing")
        }
    }
}
