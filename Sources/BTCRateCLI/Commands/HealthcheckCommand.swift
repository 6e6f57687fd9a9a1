import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc
import LibCurl

/// `btcrate healthcheck`: asks the graph service's /healthz, for container
/// health checks and scripts, so the image needs no curl.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Ask the graph service's /healthz; exit 0 when healthy.",
        discussion: """
            Requests watchdog.graph_url (default http://<graph.listen>/healthz, loopback for a 0.0.0.0 \
            listen address) with a 5 s timeout and prints the answer. Used by the Docker image's \
            HEALTHCHECK. Exit codes: 0 healthy (200); 1 unhealthy (503, with the reasons) or unreachable; \
            78 configuration error.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: ArgumentHelp("URL to ask instead of the configured one.", valueName: "url"))
    var url: String?

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "healthcheck")
        let configuration = context.configuration
        // With watchdog.graph_url = off the watchdog skips the check; this command still asks.
        let target = url ?? configuration.resolvedGraphHealthURL ?? "http://\(configuration.listen.loopbackIfWildcard)/healthz"
        let probe = GraphHealthProbe(userAgent: "btcrate-healthcheck/\(BTCRateVersion.current)")
        let response: HTTPResponse
        do {
            response = try await probe.ask(target)
        } catch {
            print("unreachable: \(target): \(error)")
            throw ExitCode(1)
        }
        print(response.text.trimmed)
        if response.status != 200 { throw ExitCode(1) }
    }
}
