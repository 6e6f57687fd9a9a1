import BTCRateCore
import Foundation
import Testing

@Suite struct APIKeyLoaderTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "btcrate-keys-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    var loader: APIKeyLoader {
        var loader = APIKeyLoader()
        loader.containerSecretsDirectory = directory + "/secrets-absent"
        return loader
    }

    func write(_ text: String, _ name: String) -> String {
        let path = "\(directory)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func credentialsDirectoryComesFirst() throws {
        _ = write("CREDKEY1\n", "alphavantage-api-key")
        let file = write("FILEKEY2", "keyfile")
        let found = try loader.load(keyFile: file, environment: ["CREDENTIALS_DIRECTORY": directory, "ALPHAVANTAGE_API_KEY": "ENVKEY3"])
        #expect(found == .init(key: "CREDKEY1", origin: "systemd credential"))
    }

    /// The .deb's empty placeholder credential means "no key yet": the next places are tried.
    @Test func anEmptyCredentialCountsAsAbsent() throws {
        let credentials = directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: credentials + "/alphavantage-api-key", contents: Data("\n".utf8))
        #expect(try loader.load(keyFile: nil, environment: ["CREDENTIALS_DIRECTORY": credentials]) == nil)
        #expect(try loader.load(keyFile: nil, environment: ["CREDENTIALS_DIRECTORY": credentials, "ALPHAVANTAGE_API_KEY": "ENVKEY3"])?.key == "ENVKEY3")
    }

    @Test func thenTheKeyFileThenTheEnvironment() throws {
        let file = write("  FILEKEY2  \n", "keyfile2")
        #expect(try loader.load(keyFile: file, environment: ["ALPHAVANTAGE_API_KEY": "ENVKEY3"])?.key == "FILEKEY2")
        #expect(try loader.load(keyFile: nil, environment: ["ALPHAVANTAGE_API_KEY": "ENVKEY3"])?.key == "ENVKEY3")
        #expect(try loader.load(keyFile: nil, environment: [:]) == nil)
    }

    @Test func containerSecretsAreRead() throws {
        var loader = APIKeyLoader()
        loader.containerSecretsDirectory = directory
        _ = write("SECRETKEY9", "alphavantage-api-key")
        #expect(try loader.load(keyFile: nil, environment: [:])?.origin == "container secret")
    }

    @Test func badKeysAreRefusedWithoutBeingQuoted() {
        let empty = write("\n", "empty")
        let pasted = write("export KEY=MYSECRETVALUE", "pasted")
        for (file, expected) in [(empty, "is empty"), (pasted, "holds characters other than")] {
            do {
                _ = try loader.load(keyFile: file, environment: [:])
                Issue.record("expected an error")
            } catch {
                #expect(error.message.contains(expected))
                #expect(!error.message.contains("MYSECRETVALUE"))
            }
        }
        #expect(throws: ConfigError.self) { try loader.load(keyFile: directory + "/missing", environment: [:]) }
    }
}
