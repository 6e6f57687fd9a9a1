@testable import BTCRateCore
import Foundation
import Testing

@Suite struct ConfigurationTests {
    let loader = ConfigLoader()

    func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "btcrate-config-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func error(_ body: () throws(ConfigError) -> Configuration) -> String? {
        do { _ = try body(); return nil } catch { return error.message }
    }

    @Test func withNoFileTheDocumentedDefaultsApply() throws {
        let config = try loader.load(path: nil, environment: ["BTCRATE_CONFIG_UNUSED": "x"])
        #expect(config == Configuration())
        #expect(config.stateDirectory == "/var/lib/btcrate")
        #expect(config.pairs.map(\.description) == ["BTC-USD"])
        #expect(config.sources == [.alphavantage, .coinbase, .kraken, .bitstamp])
    }

    @Test func aNamedFileThatDoesNotExistIsAnError() {
        let message = error { () throws(ConfigError) in try loader.load(path: "/nonexistent/btcrate.conf", environment: [:]) }
        #expect(message == "config file /nonexistent/btcrate.conf does not exist")
    }

    @Test func theFileThenTheEnvironment() throws {
        let path = try temporaryFile("""
            # comment
            [storage]
            state_directory = /srv/btcrate
            [collector]
            pairs = btc-usd, ETH-EUR
            sources = kraken, bitstamp
            [http]
            total_timeout = 1m
            [validation]
            max_jump = 0.2
            [validation.ETH-EUR]
            min_rate = 10
            max_rate = 100000
            """)
        let config = try loader.load(path: path, environment: [
            "BTCRATE_STATE_DIRECTORY": "/tmp/override",
            "BTCRATE_COINBASE_URL": "http://127.0.0.1:9/",
            "BTCRATE_RRDCACHED_ADDRESS": "unix:/run/rrdcached.sock",
        ])
        #expect(config.stateDirectory == "/tmp/override")
        #expect(config.pairs.map(\.description) == ["BTC-USD", "ETH-EUR"])
        #expect(config.sources == [.kraken, .bitstamp])
        #expect(config.totalTimeout == 60)
        #expect(config.validation.maxJump == 0.2)
        #expect(config.coinbaseURL == "http://127.0.0.1:9/")
        #expect(config.rrdcachedAddress == "unix:/run/rrdcached.sock")
        let eth = try CurrencyPair(parsing: "ETH-EUR")
        #expect(config.policy(for: eth).minRate == 10)
        #expect(config.policy(for: eth).maxJump == 0.2)
        #expect(config.rrdPath(for: eth) == "/tmp/override/ETH-EUR.rrd")
    }

    @Test(arguments: [
        ("[collector]\nconcurrency = 0", "collector.concurrency"),
        ("[collector]\nconcurency = 4", "unknown key 'concurency'"),
        ("[colector]\npairs = BTC-USD", "unknown section [colector]"),
        ("[collector]\npairs = ../../etc/passwd", "invalid pair"),
        ("[collector]\npairs = BTC-USD, BTC-USD", "lists a pair twice"),
        ("[collector]\nsources = coinbase, binance", "unknown source 'binance'"),
        ("[http]\ntotal_timeout = soon", "http.total_timeout"),
        ("[alphavantage]\nurl = file:///etc/passwd", "alphavantage.url"),
        ("[storage]\nstate_directory = relative/path", "must be an absolute path"),
        ("[validation]\nmin_rate = 5000\nmax_rate = 10", "min_rate 5000.0 must be below max_rate 10.0"),
        ("[validation.BTC-USD]\nspread = 3", "validation.BTC-USD.spread"),
        ("[storage]\nrrdcached_address = storagehost", "storage.rrdcached_address"),
        ("[storage]\nrrdcached_address = 10.0.0.5:99999", "the port must be 1 to 65535"),
        ("[storage]\nrrdcached_address = unix:run/rrdcached.sock", "absolute path"),
        ("[storage]\nrrdcached_address = [::1]", "[address]:port"),
        ("[storage.ETH-USD]\nrrdcached_address = a:b:c", "storage.ETH-USD.rrdcached_address"),
        ("[storage.ETH-USD]\nstate_directory = /x", "allowed: rrdcached_address"),
        ("[storage.../x]\nrrdcached_address = 10.0.0.5:42217", "invalid pair"),
        ("pairs = BTC-USD", "must be inside a [section]"),
        ("[collector]\njust words", "expected key = value"),
        ("[notify]\nsmtp_url = smtp://mail:25\nsmtp_from = a@b.c\nsmtp_to = d@e.f\nsmtp_username = me\nsmtp_starttls = false",
         "the password would cross the network in clear text"),
    ])
    func badConfigurationNamesTheKeyAndTheProblem(text: String, expected: String) throws {
        let path = try temporaryFile(text)
        let message = error { () throws(ConfigError) in try loader.load(path: path, environment: [:]) }
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    /// A TCP daemon for all pairs, one pair's own shard, and one pair written
    /// directly: over TCP the file is named relative to the daemon's directory.
    @Test func storageOverTCPAndPerPairShards() throws {
        let path = try temporaryFile("""
            [storage]
            rrdcached_address = 10.0.0.5:42217
            [collector]
            pairs = BTC-USD, ETH-USD, LTC-USD
            [storage.ETH-USD]
            rrdcached_address = [fd00::6]:42217
            [storage.LTC-USD]
            rrdcached_address =
            """)
        let config = try loader.load(path: path, environment: ["BTCRATE_STATE_DIRECTORY": "/var/lib/btcrate"])
        let (btc, eth, ltc) = try (CurrencyPair(parsing: "BTC-USD"), CurrencyPair(parsing: "ETH-USD"), CurrencyPair(parsing: "LTC-USD"))
        #expect(config.storage(for: btc) == RRDLocation(address: "10.0.0.5:42217", path: "BTC-USD.rrd"))
        #expect(config.storage(for: eth) == RRDLocation(address: "[fd00::6]:42217", path: "ETH-USD.rrd"))
        #expect(config.storage(for: ltc) == RRDLocation(address: nil, path: "/var/lib/btcrate/LTC-USD.rrd"))
        #expect(config.storage(for: btc).isRemote && !config.storage(for: ltc).isRemote)
        let local = try loader.load(path: nil, environment: ["BTCRATE_RRDCACHED_ADDRESS": "unix:/run/rrdcached.sock"])
        #expect(local.storage(for: btc) == RRDLocation(address: "unix:/run/rrdcached.sock", path: "/var/lib/btcrate/BTC-USD.rrd"))
        #expect(!local.storage(for: btc).isRemote)
        #expect(config.storage(for: btc).description.contains("TCP: relative to the daemon's base directory"))
    }

    /// A Slack URL's path is its token: errors and `btcrate config` show scheme and host only.
    @Test func notificationURLsAreMaskedInErrors() throws {
        let path = try temporaryFile("[notify]\nslack_url = ftp://hooks.example/services/T0/B0/TOKEN123")
        let message = error { () throws(ConfigError) in try loader.load(path: path, environment: [:]) }
        #expect(message?.contains("notify.slack_url") == true)
        #expect(message?.contains("TOKEN123") == false, "\(message ?? "")")
        #expect(URLMask.mask("https://hooks.slack.com/services/T0/B0/TOKEN123") == "https://hooks.slack.com/(hidden)")
        #expect(URLMask.mask("smtps://user:pass@mail.example:465") == "smtps://(hidden)@mail.example:465")
        #expect(URLMask.mask("http://127.0.0.1:9093") == "http://127.0.0.1:9093")
    }

    /// In a container the service listens on 0.0.0.0; the watchdog checks it on loopback.
    @Test func aWildcardListenIsCheckedOnLoopback() throws {
        let config = try loader.load(path: nil, environment: ["BTCRATE_LISTEN": "0.0.0.0:8610"])
        #expect(config.resolvedGraphHealthURL == "http://127.0.0.1:8610/healthz")
        #expect(!config.resolvedExternalURL.contains("0.0.0.0"))
        let six = try loader.load(path: nil, environment: ["BTCRATE_LISTEN": "[::]:8610"])
        #expect(six.resolvedGraphHealthURL == "http://[::1]:8610/healthz")
    }

    @Test func badEnvironmentNamesTheVariable() {
        let message = error { () throws(ConfigError) in try loader.load(path: nil, environment: ["BTCRATE_MAX_JUMP": "lots"]) }
        #expect(message?.hasPrefix("BTCRATE_MAX_JUMP (validation.max_jump):") == true)
    }

    /// The shipped example must document every key with its real default, and
    /// uncommenting all of it must change nothing.
    @Test func theShippedExampleDocumentsEverySettingWithItsDefault() throws {
        let example = try String(contentsOfFile: Self.repositoryFile("packaging/btcrate.conf"), encoding: .utf8)
        for setting in Setting.all {
            let line = "#\(setting.key) = \(setting.defaultText)".trimmingCharacters(in: .whitespaces)
            #expect(example.contains(line), "example lacks '\(line)'")
            #expect(example.contains(setting.environment), "example lacks \(setting.environment)")
        }
        let uncommented = example.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("#") && !line.hasPrefix("# ") && !line.hasPrefix("#[") && line.contains("=") ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        let config = try loader.load(path: try temporaryFile(uncommented), environment: [:])
        #expect(config == Configuration())
    }

    @Test func theReadmeDocumentsEverySetting() throws {
        let readme = try String(contentsOfFile: Self.repositoryFile("README.md"), encoding: .utf8)
        for setting in Setting.all {
            #expect(readme.contains("`\(setting.name)`"), "README lacks \(setting.name)")
            #expect(readme.contains("`\(setting.environment)`"), "README lacks \(setting.environment)")
        }
    }

    static func repositoryFile(_ relative: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.appendingPathComponent(relative).path
            }
        }
        return relative
    }
}
