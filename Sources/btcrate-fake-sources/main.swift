import FakePriceServer
import Foundation

// A standalone fake of the price APIs on 127.0.0.1, for the local demo, the
// benchmarks and the end-to-end tests. Usage: btcrate-fake-sources [PORT]
// Break a source from outside with GET /_fake/behaviour?source=NAME&mode=MODE.
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "--help" || arguments.first == "-h" {
    print("""
        usage: btcrate-fake-sources [PORT]
        Serves fake Alpha Vantage, Coinbase, Kraken and Bitstamp APIs on http://127.0.0.1:PORT
        (default 8099; 0 picks a free port). Point BTCRATE_*_URL at it. Control:
          GET /_fake/behaviour?source=alphavantage|coinbase|kraken|bitstamp|bitstamp_history
              &mode=normal|quota|burst|invalid_key|http500|not_json|slow|close
          GET /_fake/behaviour?mode=reset
        """)
    exit(0)
}
guard let port = UInt16(arguments.first ?? "8099") else {
    FileHandle.standardError.write(Data("btcrate-fake-sources: PORT must be a number from 0 to 65535\n".utf8))
    exit(64)
}
do {
    let server = try FakePriceServer(port: port)
    print("fake price sources listening on \(server.baseURL)")
    fflush(nil)
    while true { sleep(3600) }
} catch {
    FileHandle.standardError.write(Data("btcrate-fake-sources: \(error)\n".utf8))
    exit(71)
}
