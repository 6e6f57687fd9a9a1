import FoundationEssentials
import Glibc

/// The one reader of configuration: built-in defaults, then the config file,
/// then `BTCRATE_*` environment variables.
public struct ConfigLoader: Sendable {
    public static let defaultPath = "/etc/btcrate/btcrate.conf"

    public init() {}

    /// - Parameters:
    ///   - path: the file named with `--config`, or nil for the default path.
    ///     The default file may be absent (defaults apply); a named one must exist.
    public func load(path: String?, environment: [String: String]) throws(ConfigError) -> Configuration {
        var config = Configuration()
        let filePath = path ?? environment["BTCRATE_CONFIG"] ?? Self.defaultPath
        let explicit = path != nil || environment["BTCRATE_CONFIG"] != nil
        if let text = try readIfPresent(filePath, mustExist: explicit) {
            try apply(ConfigFile(parsing: text, name: filePath), to: &config, fileName: filePath)
        }
        for setting in Setting.all {
            if let value = environment[setting.environment] {
                do throws(ConfigError) {
                    try setting.apply(&config, value.trimmedSpaces)
                } catch {
                    throw ConfigError("\(setting.environment) (\(setting.name)): \(error.message)")
                }
            }
        }
        try checkConsistency(config)
        return config
    }

    private func readIfPresent(_ path: String, mustExist: Bool) throws(ConfigError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else {
            if mustExist { throw ConfigError("config file \(path) does not exist") }
            return nil
        }
        // read(2) rather than FileManager.contents: it also reads /dev/null and pipes.
        guard let bytes = WholeFile.read(path) else {
            throw ConfigError("config file \(path) cannot be read (check its permissions)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError("config file \(path) is not UTF-8 text")
        }
        return text
    }

    func apply(_ file: ConfigFile, to config: inout Configuration, fileName: String) throws(ConfigError) {
        let settings = Dictionary(uniqueKeysWithValues: Setting.all.map { ($0.name, $0) })
        for entry in file.entries {
            let place = "\(fileName):\(entry.line)"
            if entry.section.hasPrefix("validation.") {
                try applyPairValidation(entry, to: &config, place: place)
                continue
            }
            if entry.section.hasPrefix("storage.") {
                try applyPairStorage(entry, to: &config, place: place)
                continue
            }
            guard let setting = settings["\(entry.section).\(entry.key)"] else {
                let known = Setting.all.filter { $0.section == entry.section }.map(\.key)
                let hint = known.isEmpty ? "unknown section [\(entry.section)]" : "known keys in [\(entry.section)]: \(known.joined(separator: ", "))"
                throw ConfigError("\(place): unknown key '\(entry.key)' (\(hint))")
            }
            do throws(ConfigError) {
                try setting.apply(&config, entry.value)
            } catch {
                throw ConfigError("\(place): \(setting.name): \(error.message)")
            }
        }
    }

    private func applyPairValidation(_ entry: ConfigFile.Entry, to config: inout Configuration, place: String) throws(ConfigError) {
        let pairText = String(entry.section.dropFirst("validation.".count))
        let pair: CurrencyPair
        do throws(PairError) { pair = try CurrencyPair(parsing: pairText) } catch {
            throw ConfigError("\(place): [\(entry.section)]: \(error.description)")
        }
        var partial = config.pairValidation[pair] ?? PartialPolicy()
        do throws(ConfigError) {
            switch entry.key {
            case "min_rate": partial.minRate = try Parse.positive(entry.value)
            case "max_rate": partial.maxRate = try Parse.positive(entry.value)
            case "max_jump": partial.maxJump = try Parse.fraction(entry.value)
            case "max_age": partial.maxAge = try Parse.duration(entry.value, in: 1...86_400)
            default:
                throw ConfigError("unknown key; allowed: \(Setting.perPairValidationKeys.joined(separator: ", "))")
            }
        } catch {
            throw ConfigError("\(place): \(entry.section).\(entry.key): \(error.message)")
        }
        config.pairValidation[pair] = partial
    }

    /// `[storage.ETH-USD]` with `rrdcached_address`: that pair's own daemon (a
    /// shard); an empty value writes its file directly whatever storage.rrdcached_address says.
    private func applyPairStorage(_ entry: ConfigFile.Entry, to config: inout Configuration, place: String) throws(ConfigError) {
        let pairText = String(entry.section.dropFirst("storage.".count))
        let pair: CurrencyPair
        do throws(PairError) { pair = try CurrencyPair(parsing: pairText) } catch {
            throw ConfigError("\(place): [\(entry.section)]: \(error.description)")
        }
        guard entry.key == "rrdcached_address" else {
            throw ConfigError("\(place): \(entry.section).\(entry.key): unknown key; allowed: rrdcached_address")
        }
        if !entry.value.isEmpty, let problem = RRDLocation.problem(with: entry.value) {
            throw ConfigError("\(place): \(entry.section).rrdcached_address: \(problem)")
        }
        config.pairStorage[pair] = entry.value
    }

    private func checkConsistency(_ config: Configuration) throws(ConfigError) {
        for pair in config.pairs {
            let policy = config.policy(for: pair)
            if policy.minRate >= policy.maxRate {
                throw ConfigError("validation for \(pair): min_rate \(policy.minRate) must be below max_rate \(policy.maxRate)")
            }
        }
        let policy = config.alertPolicy
        if policy.staleCriticalSlots < policy.staleWarningSlots {
            throw ConfigError("alerts.stale_critical_slots (\(policy.staleCriticalSlots)) must not be below alerts.stale_warning_slots (\(policy.staleWarningSlots))")
        }
        if let above = policy.priceAbove, let below = policy.priceBelow, below >= above {
            throw ConfigError("alerts.price_below (\(below)) must be below alerts.price_above (\(above))")
        }
        if config.notify.smtpURL != nil, config.notify.smtpFrom.isEmpty || config.notify.smtpTo.isEmpty {
            throw ConfigError("notify.smtp_url is set, so notify.smtp_from and notify.smtp_to are needed too")
        }
        if let file = config.notify.smtpCAFile, !FileManager.default.isReadableFile(atPath: file) {
            throw ConfigError("notify.smtp_ca_file: \(file) cannot be read")
        }
        if config.notify.smtpUsername != nil, !config.notify.smtpStartTLS, config.notify.smtpURL?.hasPrefix("smtps://") != true {
            throw ConfigError("notify.smtp_username is set but notify.smtp_starttls is false: the password would cross the network in clear text; set smtp_starttls = true or use an smtps:// URL")
        }
        if config.connectTimeout > config.totalTimeout {
            throw ConfigError("http.connect_timeout (\(config.connectTimeout) s) must not exceed http.total_timeout (\(config.totalTimeout) s)")
        }
    }
}
