import BTCRateCLI

/// The entry point. Everything lives in BTCRateCLI so that tests can reach it.
@main
struct BTCRateMain {
    static func main() async {
        await BTCRateCommand.runAsync()
    }
}
