import ArgumentParser
import BTCRateGraph
#if canImport(Glibc)
import Glibc
#endif

/// `btcrate render-worker`: one of the graph service's render processes. Not
/// for operators (hidden from --help): the graph service starts it with a
/// socket as its stdin and stdout.
///
/// The service's own start (`btcrate render-worker` and nothing more) never
/// reaches this command: `main` answers it first
/// (`BTCRateCommand.renderIfStartedAsWorker`). What is left here is the
/// parser's view of it: `--help`, and refusing anything after the name.
struct RenderWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-worker",
        abstract: "Render graphs for the graph service (started by btcrate graph; not run by hand).",
        shouldDisplay: false
    )

    func run() throws {
        Glibc.exit(RenderWorkerLoop.run())
    }

    /// Whether `arguments` (argv) are exactly how the graph service starts a
    /// worker (WorkerCommand). Such a process only renders, on its one thread:
    /// skipping the parser (its reflection over every command's options) and the
    /// concurrency runtime (two or three threads, started by the first hop) keeps
    /// 2 to 4 MiB of Rss out of each worker (issue 14).
    static func startsAsWorker(_ arguments: [String]) -> Bool {
        arguments.count == 2 && arguments[1] == configuration.commandName
    }
}
