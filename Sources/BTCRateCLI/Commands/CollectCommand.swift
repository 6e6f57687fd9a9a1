import ArgumentParser
import BTCRateCore
import LibSystemd
import FoundationEssentials
import Glibc

/// `btcrate collect`: one collection run, as the systemd timer starts it.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Fetch the current rate of every configured pair and store it (one run).",
        discussion: """
            For each pair: repair missed slots from Bitstamp's 10-minute history, fetch a quote from the \
            first source that gives a valid one, and write it to <state directory>/<PAIR>.rrd at the start \
            of the current 10-minute slot. A second run in the same slot does nothing. The outcome is \
            logged and saved in <state directory>/last-run.json.

            Every quote is checked against this machine's clock first: a source whose Date header (or own \
            timestamp) differs by more than validation.clock_tolerance is refused as clock_skew, and a file \
            whose newest sample is for a later slot than the current one fails as clock_behind (see \
            btcrate rewind). A backfill that was interrupted (<state directory>/backfill.json) is completed \
            first, and files a killed run left half-made (*.rrd.creating-*) are removed.

            Exit codes: 0 every pair has a sample for this slot; 69 at least one pair got none (the \
            journal gives the class: quota_exhausted, clock_skew, clock_behind, ...); 73 storage failure \
            (storage_error, storage_timeout); 75 another run holds the lock; 78 configuration error.
            """
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print the run record as JSON on stdout.")
    var json = false

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "collector")
        try context.prepareStateDirectory()
        let result = await CollectionRun(context: context, clock: SystemClock()).perform(command: "collect")
        if json, let record = result.record {
            print(try JSONOutput.encode(record))
        }
        if Journal.isConnected {
            // journald finds an entry's unit (what `journalctl -u btcrate-collector`
            // matches) by reading the sender's cgroup when it handles the datagram. A
            // run that exits within milliseconds can be gone by then, and its entries
            // would lack _SYSTEMD_UNIT. A short pause lets journald catch up.
            try? await Task.sleep(for: .milliseconds(150))
        }
        if result.exitCode != ExitStatus.success {
            throw ExitStatus.exit(result.exitCode)
        }
    }
}

/// JSON on stdout in one style: snake_case keys, sorted, pretty.
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
