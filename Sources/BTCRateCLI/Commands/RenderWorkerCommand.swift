import ArgumentParser
import BTCRateGraph
#if canImport(Glibc)
import Glibc
#endif

/// `btcrate render-worker`: one of the graph service's render processes. Not
/// for operators (hidden from --help): the graph service starts it with a
/// socket as its stdin and stdout.
struct RenderWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-worker",
        abstract: "Render graphs for the graph service (started by btcrate graph; not run by hand).",
        shouldDisplay: false
    )

    func run() throws {
        Glibc.exit(RenderWorkerLoop.run())
    }
}
