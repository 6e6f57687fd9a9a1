import BTCRateTestSupport
import Foundation
import Testing

/// The `btcrate` executable links FoundationEssentials only: neither the full
/// Foundation, nor ICU, nor CoreFoundation (issue 14). A later `import
/// Foundation` in any of its targets brings all three back silently and costs
/// every process megabytes; this test is what makes it loud.
///
/// It reads the binary as SwiftPM built it for the tests (dynamically linked, with
/// its symbols): the libraries it asks the loader for, and the Swift modules its
/// symbols come from. The system's libicuuc that librrd's libxml2 loads is not
/// the binary's and is not looked for.
@Suite struct LeanBinaryTests {
    static let bytes: Data = (try? Data(contentsOf: URL(fileURLWithPath: CommandLineTests.binary))) ?? Data()

    /// Foundation's own search (optimised code even in a debug build: a Swift loop
    /// over 100+ MB here held a core for minutes and starved the other tests).
    static func contains(_ text: String) -> Bool {
        bytes.range(of: Data(text.utf8)) != nil
    }

    @Test func theBinaryIsThere() {
        #expect(Self.bytes.count > 1_000_000, "no btcrate binary at \(CommandLineTests.binary)")
    }

    @Test(arguments: ["libFoundation.so\u{0}", "libFoundationInternationalization.so\u{0}", "lib_FoundationICU.so\u{0}",
                      "libCoreFoundation.so\u{0}"])
    func noFullFoundationLibraryIsLinked(_ library: String) {
        #expect(!Self.contains(library), "btcrate links \(library.dropLast()): some target imports Foundation, not FoundationEssentials")
    }

    /// Mangled Swift names carry their module: `10Foundation` is the full one
    /// (FoundationEssentials is `20FoundationEssentials`), `14_FoundationICU` ICU's.
    @Test(arguments: ["s10Foundation", "14_FoundationICU", "15CoreFoundation", "ucol_open"])
    func noSymbolComesFromThem(_ marker: String) {
        #expect(!Self.contains(marker), "btcrate's symbols mention \(marker)")
    }

    @Test func theCheckWouldSeeFoundationEssentials() {
        // The same search finds what is there: the check is not vacuous.
        #expect(Self.contains("libFoundationEssentials.so\u{0}") || Self.contains("20FoundationEssentials"))
    }

    /// What the dynamic loader maps into every btcrate process before `main`, as
    /// `ldd` prints it (glibc's loader lists the libraries and exits).
    static func librariesLoadedAtStart() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.environment = ["LD_TRACE_LOADED_OBJECTS": "1"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    /// libcurl and its TLS stack are opened by the processes that speak HTTP, on
    /// first use; linked, they were 5.3 MiB of the graph service's and each
    /// render worker's Rss.
    @Test func libcurlIsNotLoadedAtStart() throws {
        let libraries = try Self.librariesLoadedAtStart()
        #expect(libraries.contains("librrd.so"), "the check is not vacuous: \(libraries)")
        #expect(!libraries.contains("libcurl"), "btcrate links libcurl again: \(libraries)")
        #expect(!libraries.contains("libgnutls") && !libraries.contains("libssl"), "\(libraries)")
    }

    /// The libraries an idle `btcrate watchdog` has mapped once it said READY=1
    /// (after its first full evaluation), with `watchdog.graph_url` as given.
    static func watchdogLibraries(graphURL: String) throws -> String {
        let directory = TemporaryDirectory()
        FileManager.default.createFile(atPath: directory.file("empty.conf"), contents: Data())
        let socket = try NotifySocket(path: directory.file("notify.sock"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["watchdog"]
        process.environment = ["PATH": "/usr/bin:/bin", "BTCRATE_STATE_DIRECTORY": directory.file("state"),
                               "BTCRATE_CONFIG": directory.file("empty.conf"), "BTCRATE_LOG_TARGET": "stderr",
                               "BTCRATE_GRAPH_HEALTH_URL": graphURL, "NOTIFY_SOCKET": socket.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var ready = false
        while !ready, let message = socket.receive(timeout: 60) { ready = message.contains("READY=1") }
        #expect(ready, "the watchdog never said READY=1")
        return ProcFile.text("/proc/\(process.processIdentifier)/maps")
    }

    /// libcurl (and TLS, 7 MiB of Rss) is opened by a process's first request or
    /// mail through it, not when a client is made. A watchdog that probes a plain
    /// http:// graph service (the default) does so over SwiftNIO and, with no sink,
    /// never maps libcurl; nor does one with graph_url = off; an https:// probe does.
    @Test func theWatchdogOpensLibcurlOnlyWhenItNeedsIt() throws {
        let port = CommandLineTests.freePort()
        let quiet = try Self.watchdogLibraries(graphURL: "off")
        #expect(quiet.contains("librrd.so"), "the check is not vacuous")
        #expect(!quiet.contains("libcurl"), "an idle watchdog with graph_url = off mapped libcurl")
        let plain = try Self.watchdogLibraries(graphURL: "http://127.0.0.1:\(port)/healthz")
        #expect(!plain.contains("libcurl"), "the plain-HTTP graph probe opened libcurl")
        let secure = try Self.watchdogLibraries(graphURL: "https://127.0.0.1:\(port)/healthz")
        #expect(secure.contains("libcurl"), "the https graph probe did not go through libcurl")
    }
}
