import FoundationEssentials
import Glibc

/// Alpha Vantage's CURRENCY_EXCHANGE_RATE.
///
/// Every value in the answer is a string; bid and ask (fields 8 and 9) are
/// missing in some answers. The API key travels only in the request URL handed
/// to libcurl, never in argv, and every message is redacted before it is kept.
public struct AlphaVantageSource: PriceSource {
    public let id = SourceID.alphavantage
    private let baseURL: String
    private let apiKey: String?
    private let http: any HTTPFetching
    private let redactor: Redactor

    public init(baseURL: String, apiKey: String?, http: any HTTPFetching) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.apiKey = apiKey
        self.http = http
        self.redactor = Redactor(secrets: apiKey.map { [$0] } ?? [])
    }

    public func latestQuote(for pair: CurrencyPair) async throws(FetchFailure) -> Quote {
        guard let apiKey, !apiKey.isEmpty else {
            throw FetchFailure(.noKey, source: id, detail: "no Alpha Vantage key configured")
        }
        let url = "\(baseURL)/query?function=CURRENCY_EXCHANGE_RATE&from_currency=\(pair.base)&to_currency=\(pair.quote)&apikey=\(apiKey.urlQueryEscaped)"
        let answer = try await http.fetchOK(url, source: id, redactor: redactor)
        return try parse(answer.body, pair: pair).answered(at: answer.date)
    }

    func parse(_ body: [UInt8], pair: CurrencyPair) throws(FetchFailure) -> Quote {
        let object = try JSONDocument.object(body, source: id)
        for key in ["Error Message", "Information", "Note"] {
            if let message = object[key] {
                // Classified on the raw text (the key "demo" would otherwise be masked
                // out of the demo-key message); only the redacted text is kept.
                let kind = AlphaVantageMessage.classify(key: key, text: "\(message)")
                throw FetchFailure(kind, source: id, detail: "\(key): \(redactor.redact("\(message)"))")
            }
        }
        guard let fields = object["Realtime Currency Exchange Rate"] as? [String: Any] else {
            throw JSONDocument.malformed(id, "no \"Realtime Currency Exchange Rate\" object (keys: \(object.keys.sorted().prefix(5).joined(separator: ", ")))")
        }
        guard let rate = JSONDocument.number(fields["5. Exchange Rate"]) else {
            throw JSONDocument.malformed(id, "\"5. Exchange Rate\" missing or not a number")
        }
        let from = (fields["1. From_Currency Code"] as? String)?.uppercased()
        let to = (fields["3. To_Currency Code"] as? String)?.uppercased()
        if let from, let to, from != pair.base || to != pair.quote {
            throw JSONDocument.malformed(id, "answer is for \(from)-\(to), not \(pair)")
        }
        guard let refreshedText = fields["6. Last Refreshed"] as? String,
              let refreshed = Self.parseRefreshed(refreshedText, zone: fields["7. Time Zone"] as? String) else {
            throw JSONDocument.malformed(id, "\"6. Last Refreshed\" missing or not a time")
        }
        return Quote(pair: pair, rate: rate,
                     bid: JSONDocument.number(fields["8. Bid Price"]),
                     ask: JSONDocument.number(fields["9. Ask Price"]),
                     observedAt: refreshed, source: id)
    }

    /// "2024-01-15 12:00:00" in the zone field 7 names: UTC, always, in Alpha
    /// Vantage's answers. Another zone is refused (nil: the body is malformed and
    /// the next source is asked) rather than read as UTC; converting it would need
    /// the time-zone database of the full Foundation (ICU) in every process.
    static func parseRefreshed(_ text: String, zone: String?) -> Date? {
        guard ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"].contains(zone?.trimmedSpaces ?? "UTC") else { return nil }
        let parts = text.trimmedSpaces.split(separator: " ")
        guard parts.count == 2, let seconds = Timestamp.parse("\(parts[0])T\(parts[1])Z") else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

extension String {
    public var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// Percent-encoded for a URL query: every byte but ASCII letters and digits.
    var urlQueryEscaped: String {
        var escaped = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                escaped.unicodeScalars.append("%")
                escaped.unicodeScalars.append(hex[Int(byte >> 4)])
                escaped.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return escaped
    }
}
