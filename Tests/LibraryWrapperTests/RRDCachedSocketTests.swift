@testable import LibRRD
import Testing

/// rrdcached's line protocol as our client reads and writes it, without a daemon
/// (the answers are the ones rrdcached 1.7.2 gave; RRDCachedTCPTests runs the real one).
@Suite struct RRDCachedSocketTests {
    @Test func wordsAreEscapedAsLibrrdDoes() {
        #expect(RRDCachedSocket.escape("BTC-USD.rrd") == "BTC-USD.rrd")
        #expect(RRDCachedSocket.escape("/var/lib/my state/a.rrd") == #"/var/lib/my\ state/a.rrd"#)
        #expect(RRDCachedSocket.escape(#"a\b"#) == #"a\\b"#)
    }

    @Test func statusLinesReadAsNumberAndMessage() {
        #expect(RRDCachedSocket.statusLine("0 1796528400") == (0, "1796528400"))
        #expect(RRDCachedSocket.statusLine("10 Success") == (10, "Success"))
        #expect(RRDCachedSocket.statusLine("-1 RRD Error: opening 'a.rrd': No such file or directory")
                == (-1, "RRD Error: opening 'a.rrd': No such file or directory"))
        #expect(RRDCachedSocket.statusLine("garbage").0 < 0, "an unreadable answer is an error")
    }

    @Test func aFetchAnswerBecomesASeries() throws {
        let series = try #require(RRDCachedClient.series([
            "FlushVersion: 1", "Start: 1796526600", "End: 1796529000", "Step: 600", "DSCount: 2", "DSName: rate bid",
            "1796527200: -nan -nan", "1796527800: 5.00000000000000000e+00 -nan",
            "1796528400: 6.00000000000000000e+00 7.00000000000000000e+00", "1796529000: -nan -nan",
        ]))
        #expect(series.start == 1_796_526_600 && series.end == 1_796_529_000 && series.step == 600)
        #expect(series.dataSources == ["rate", "bid"])
        #expect(series.rows.count == 4)
        let rate = series.column("rate")
        #expect(rate[1].time == 1_796_527_800 && rate[1].value == 5)
        #expect(rate[0].value.isNaN)
        #expect(series.column("bid")[2].value == 7)
    }

    @Test func aFetchAnswerThatDoesNotAddUpIsRefused() {
        #expect(RRDCachedClient.series(["Start: 1", "End: 601", "Step: 600", "DSName: rate", "601: 1 2"]) == nil)
        #expect(RRDCachedClient.series(["Start: 1", "End: 601", "DSName: rate"]) == nil)
        #expect(RRDCachedClient.series(["no colon here"]) == nil)
    }

    @Test func addressesResolveToUnixOrTCP() throws {
        #expect(try RRDCachedSocket.resolve("unix:/run/rrdcached.sock").family == AF_UNIX_VALUE)
        #expect(try RRDCachedSocket.resolve("/run/rrdcached.sock").family == AF_UNIX_VALUE)
        #expect(try RRDCachedSocket.resolve("127.0.0.1:42217").family == AF_INET_VALUE)
        #expect(try RRDCachedSocket.resolve("[::1]:42217").family == AF_INET6_VALUE)
        #expect(throws: RRDError.self) { try RRDCachedSocket.resolve("unix:/" + String(repeating: "x", count: 200)) }
    }
}

import Glibc
private let AF_UNIX_VALUE = Int32(AF_UNIX), AF_INET_VALUE = Int32(AF_INET), AF_INET6_VALUE = Int32(AF_INET6)
