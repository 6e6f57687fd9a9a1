import ArgumentParser
import BTCRateCore
import FoundationEssentials
import Glibc

/// `btcrate config`: shows the effective configuration, so an operator can see
/// what the file and the environment added up to.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration and print the effective settings.",
        discussion: """
            Reads the configuration exactly as the services do and prints each setting with its value. \
            Exits 78 with one message naming the key if anything is invalid. The API key is never printed: \
            only where it was found.
            """
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let context = try AppContext.load(configPath: common.config, component: "config")
        let values = EffectiveSettings(context.configuration)
        let keyOrigin = context.apiKey?.origin ?? "none (keyless sources only)"
        if json {
            var object = values.pairs.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            object["alphavantage.key_origin"] = keyOrigin
            print(try JSONOutput.encode(object))
        } else {
            for (name, value) in values.pairs { print("\(name) = \(value)") }
            print("# Alpha Vantage key: \(keyOrigin)")
        }
    }
}

/// The configuration as `section.key = value` lines, in `Setting.all` order.
/// Notification URLs show only scheme, host and port: their paths carry tokens.
struct EffectiveSettings {
    let pairs: [(String, String)]

    init(_ configuration: Configuration) {
        let c = configuration
        func seconds(_ value: Double) -> String { value.truncatingRemainder(dividingBy: 1) == 0 ? "\(Int(value))s" : "\(value)s" }
        let values: [String: String] = [
            "storage.state_directory": c.stateDirectory,
            "storage.rrdcached_address": c.rrdcachedAddress ?? "",
            "storage.rrdcached_timeout": seconds(c.rrdcachedTimeout),
            "collector.pairs": c.pairs.map(\.description).joined(separator: ", "),
            "collector.sources": c.sources.map(\.rawValue).joined(separator: ", "),
            "collector.concurrency": "\(c.concurrency)",
            "collector.gap_repair": "\(c.gapRepair)",
            "collector.gap_repair_max_days": "\(c.gapRepairMaxDays)",
            "http.connect_timeout": seconds(c.connectTimeout),
            "http.total_timeout": seconds(c.totalTimeout),
            "http.max_body_bytes": "\(c.maxBodyBytes)",
            "alphavantage.url": c.alphaVantageURL,
            "alphavantage.key_file": c.alphaVantageKeyFile ?? "",
            "coinbase.url": c.coinbaseURL,
            "kraken.url": c.krakenURL,
            "bitstamp.url": c.bitstampURL,
            "validation.min_rate": "\(c.validation.minRate)",
            "validation.max_rate": "\(c.validation.maxRate)",
            "validation.max_age": seconds(c.validation.maxAge),
            "validation.future_tolerance": seconds(c.validation.futureTolerance),
            "validation.clock_tolerance": seconds(c.validation.clockTolerance),
            "validation.max_jump": "\(c.validation.maxJump)",
            "validation.confirm_tolerance": "\(c.validation.confirmTolerance)",
            "log.level": c.logLevel,
            "graph.listen": "\(c.listen)",
            "graph.stale_after": seconds(c.staleAfter),
            "graph.allowed_hosts": c.allowedHosts?.joined(separator: ", ")
                ?? "(\(c.resolvedAllowedHosts.map { $0.sorted().joined(separator: ", ") } ?? "*"))",
            "graph.cache_entries": "\(c.graphCacheEntries)",
            "graph.render_workers": c.renderWorkers.map { "\($0)" } ?? "(\(c.resolvedRenderWorkers): one per CPU)",
            "graph.render_timeout": seconds(c.renderTimeout),
            "graph.max_queue": "\(c.graphMaxQueue)",
            "graph.idle_timeout": seconds(c.graphIdleTimeout),
            "graph.max_connections": "\(c.graphMaxConnections)",
            "alerts.stale_warning_slots": "\(c.alertPolicy.staleWarningSlots)",
            "alerts.stale_critical_slots": "\(c.alertPolicy.staleCriticalSlots)",
            "alerts.collector_failures": "\(c.alertPolicy.collectorFailures)",
            "alerts.price_move": "\(c.alertPolicy.priceMove)",
            "alerts.price_move_window": seconds(Double(c.alertPolicy.priceMoveWindow)),
            "alerts.price_above": c.alertPolicy.priceAbove.map { "\($0)" } ?? "",
            "alerts.price_below": c.alertPolicy.priceBelow.map { "\($0)" } ?? "",
            "alerts.spread": "\(c.alertPolicy.spread)",
            "alerts.flatline_slots": "\(c.alertPolicy.flatlineSlots)",
            "alerts.disk_free": "\(c.alertPolicy.diskFree)",
            "alerts.for": Set(c.alertPolicy.pendingFor.values).count == 1 && c.alertPolicy.pendingFor.count == AlertName.allCases.count
                ? seconds(Double(c.alertPolicy.pendingFor.values.first!)) : "",
            "alerts.repeat_interval": seconds(Double(c.alertPolicy.repeatInterval)),
            "watchdog.poll_interval": seconds(c.watchdogPoll),
            "watchdog.heartbeat_interval": seconds(c.heartbeatInterval),
            "watchdog.graph_url": c.graphHealthURL.map { $0.isEmpty ? "(\(c.resolvedGraphHealthURL ?? ""))" : $0 } ?? "off",
            "watchdog.external_url": c.externalURL.isEmpty ? "(\(c.resolvedExternalURL))" : c.externalURL,
            "notify.webhook_url": c.notify.webhookURL.map(URLMask.mask) ?? "",
            "notify.slack_url": c.notify.slackURL.map(URLMask.mask) ?? "",
            "notify.alertmanager_url": c.notify.alertmanagerURL.map(URLMask.mask) ?? "",
            "notify.smtp_url": c.notify.smtpURL.map(URLMask.mask) ?? "",
            "notify.smtp_from": c.notify.smtpFrom,
            "notify.smtp_to": c.notify.smtpTo.joined(separator: ", "),
            "notify.smtp_username": c.notify.smtpUsername ?? "",
            "notify.smtp_password_file": c.notify.smtpPasswordFile ?? "",
            "notify.smtp_starttls": "\(c.notify.smtpStartTLS)",
            "notify.smtp_ca_file": c.notify.smtpCAFile ?? "",
            "notify.group_wait": seconds(c.notify.groupWait),
            "notify.heartbeat_url": c.notify.heartbeatURL.map(URLMask.mask) ?? "",
            "notify.give_up_after": seconds(c.notify.giveUpAfter),
            "notify.retries": "\(c.notify.retries)",
            "notify.retry_delay": seconds(c.notify.retryDelay),
            "notify.timeout": seconds(c.notify.timeout),
        ]
        var list = Setting.all.map { ($0.name, values[$0.name] ?? "?") }
        for (pair, partial) in c.pairValidation.sorted(by: { $0.key < $1.key }) {
            let policy = partial.applied(to: c.validation)
            list.append(("validation.\(pair).min_rate", "\(policy.minRate)"))
            list.append(("validation.\(pair).max_rate", "\(policy.maxRate)"))
            list.append(("validation.\(pair).max_jump", "\(policy.maxJump)"))
            list.append(("validation.\(pair).max_age", seconds(policy.maxAge)))
        }
        // Where each pair's file lives: a [storage.PAIR] shard, the common daemon, or direct.
        for pair in c.pairs {
            list.append(("storage.\(pair)", c.storage(for: pair).description))
        }
        pairs = list
    }
}
