import FoundationEssentials
import Glibc

/// Finds the Alpha Vantage key, most safe place first:
/// 1. `$CREDENTIALS_DIRECTORY/alphavantage-api-key` (systemd `LoadCredential=`),
/// 2. `/run/secrets/alphavantage-api-key` (Docker and compose secrets),
/// 3. the file named by `alphavantage.key_file`,
/// 4. `$ALPHAVANTAGE_API_KEY`, the least safe: other processes of the same user can read it.
///
/// An empty credential or container secret counts as absent. The key is never
/// taken from argv, and no error here ever quotes it.
public struct APIKeyLoader: Sendable {
    public static let credentialName = "alphavantage-api-key"
    public var containerSecretsDirectory = "/run/secrets"

    public init() {}

    public struct Found: Sendable, Equatable {
        public let key: String
        /// Where it came from, for the journal (never the key itself).
        public let origin: String

        public init(key: String, origin: String) {
            self.key = key
            self.origin = origin
        }
    }

    public func load(keyFile: String?, environment: [String: String]) throws(ConfigError) -> Found? {
        var candidates: [(path: String, origin: String)] = []
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            candidates.append(("\(directory)/\(Self.credentialName)", "systemd credential"))
        }
        candidates.append(("\(containerSecretsDirectory)/\(Self.credentialName)", "container secret"))
        for (path, origin) in candidates where FileManager.default.fileExists(atPath: path) {
            // An empty credential means "no key": the .deb installs an empty
            // /etc/btcrate/alphavantage-api-key so that LoadCredential= has a source
            // (systemd 252 fails the unit without one) until the operator fills it in.
            let text = try readText(path)
            if text.trimmed.isEmpty { continue }
            return try Found(key: check(text, origin: path), origin: origin)
        }
        if let keyFile {
            guard FileManager.default.fileExists(atPath: keyFile) else {
                throw ConfigError("alphavantage.key_file: \(keyFile) does not exist")
            }
            return try Found(key: read(keyFile), origin: "key file \(keyFile)")
        }
        if let key = environment["ALPHAVANTAGE_API_KEY"], !key.isEmpty {
            return try Found(key: check(key, origin: "ALPHAVANTAGE_API_KEY"), origin: "environment variable ALPHAVANTAGE_API_KEY")
        }
        return nil
    }

    private func read(_ path: String) throws(ConfigError) -> String {
        try check(readText(path), origin: path)
    }

    private func readText(_ path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("API key file \(path) cannot be read (check its owner and mode)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Keys are short tokens of letters and digits. Anything else (an empty file,
    /// a pasted line with spaces) is refused without quoting it.
    private func check(_ raw: String, origin: String) throws(ConfigError) -> String {
        let key = raw.trimmed
        guard !key.isEmpty else { throw ConfigError("API key from \(origin) is empty") }
        guard key.count <= 128, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ConfigError("API key from \(origin) holds characters other than letters, digits, '-' and '_'")
        }
        return key
    }
}
