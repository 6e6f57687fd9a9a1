import BTCRateCLI

/// The entry point. Everything lives in BTCRateCLI so that tests can reach it.
@main
struct BTCRateMain {
    static func main() async {
        // On this, the main thread, before any await (see the function).
        BTCRateCommand.renderIfStartedAsWorker()
        await BTCRateCommand.runAsync()
    }
}
