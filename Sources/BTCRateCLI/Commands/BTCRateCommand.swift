import ArgumentParser
import BTCRateGraph
#if canImport(Glibc)
import Glibc
#endif

/// `btcrate`: the root command. Every subcommand explains itself with `--help`.
public struct BTCRateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "btcrate",
        abstract: "Track the Bitcoin to US dollar rate in RRD files, every 10 minutes.",
        discussion: """
            Configuration comes from built-in defaults, then /etc/btcrate/btcrate.conf (or --config), \
            then BTCRATE_* environment variables. The Alpha Vantage key comes from the systemd \
            credential 'alphavantage-api-key', /run/secrets/alphavantage-api-key, the file named by \
            alphavantage.key_file, or ALPHAVANTAGE_API_KEY, in that order; never from the command line.

            Exit codes: 0 success; 64 usage error; 66 no RRD file for the pair (rewind); 69 a pair got no \
            sample: no source gave a valid quote (every failure class but the storage ones, among them \
            clock_skew: a source's clock and this one disagree, and clock_behind: the file already has a \
            sample for a later slot); 73 storage failure (storage_error; storage_timeout: rrdcached did \
            not answer within storage.rrdcached_timeout); 75 another run holds the lock; 78 configuration error.
            """,
        version: BTCRateVersion.current,
        subcommands: [CollectCommand.self, RunCommand.self, GraphCommand.self, WatchdogCommand.self, AlertsCommand.self,
                      BackfillCommand.self, RewindCommand.self, ConfigCommand.self, HealthcheckCommand.self, UnitFailedCommand.self,
                      RenderWorkerCommand.self]
    )

    public init() {}
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Configuration file. Without it, /etc/btcrate/btcrate.conf is read if it exists.",
        valueName: "path"))
    var config: String?
}

extension BTCRateCommand {
    /// When the graph service started this process as a render worker, renders
    /// until the service goes away and exits; otherwise returns at once. Called
    /// by `main` before its first `await`: calling any other async function hops
    /// to the concurrency runtime's thread pool, whose threads a worker must not
    /// have (see `RenderWorkerCommand.startsAsWorker`).
    public static func renderIfStartedAsWorker() {
        if RenderWorkerCommand.startsAsWorker(CommandLine.arguments) {
            Glibc.exit(RenderWorkerLoop.run())
        }
    }

    /// Parses the process arguments and runs the chosen subcommand. Calling the
    /// async `main()` through this typed context keeps the compiler from picking
    /// ParsableCommand's synchronous `main()`, which refuses async commands.
    public static func runAsync() async {
        let command: any AsyncParsableCommand.Type = BTCRateCommand.self
        await command.main()
    }
}
