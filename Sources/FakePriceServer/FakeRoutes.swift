import Foundation

/// Maps request paths to sources and builds their good answers.
enum FakeRoutes {
    static func source(for path: String) -> FakeSource? {
        if path == "/query" { return .alphavantage }
        if path.hasPrefix("/products/"), path.hasSuffix("/ticker") { return .coinbase }
        if path == "/0/public/Ticker" { return .kraken }
        if path.hasPrefix("/api/v2/ticker/") { return .bitstamp }
        if path.hasPrefix("/api/v2/ohlc/") { return .bitstampHistory }
        return nil
    }

    static func normalAnswer(_ source: FakeSource, _ request: FakeHTTPRequest, server: FakePriceServer) -> FakeResponse {
        let now = server.now()
        let time = Int(now.timeIntervalSince1970)
        let price = server.price(at: time)
        let bid = price - 5
        let ask = price + 5
        switch source {
        case .alphavantage:
            let query = request.query
            guard let key = query["apikey"], !key.isEmpty else {
                return FakeResponse(status: 200, body: AlphaVantageBodies.invalidKey)
            }
            guard query["function"] == "CURRENCY_EXCHANGE_RATE", let from = query["from_currency"], let to = query["to_currency"] else {
                return FakeResponse(status: 200, body: AlphaVantageBodies.invalidCall)
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return FakeResponse(status: 200, body: """
                {"Realtime Currency Exchange Rate": {"1. From_Currency Code": "\(from)", "2. From_Currency Name": "Bitcoin", \
                "3. To_Currency Code": "\(to)", "4. To_Currency Name": "United States Dollar", \
                "5. Exchange Rate": "\(fixed(price))", "6. Last Refreshed": "\(formatter.string(from: now))", \
                "7. Time Zone": "UTC", "8. Bid Price": "\(fixed(bid))", "9. Ask Price": "\(fixed(ask))"}}
                """)
        case .coinbase:
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return FakeResponse(status: 200, body: """
                {"trade_id":86326522,"price":"\(fixed(price))","size":"0.00698254","bid":"\(fixed(bid))","ask":"\(fixed(ask))",\
                "volume":"11520.31","time":"\(iso.string(from: now))"}
                """)
        case .kraken:
            return FakeResponse(status: 200, body: """
                {"error":[],"result":{"XXBTZUSD":{"a":["\(fixed(ask))","1","1.000"],"b":["\(fixed(bid))","1","1.000"],\
                "c":["\(fixed(price))","0.00010000"],"v":["1.0","2.0"],"p":["1.0","2.0"],"t":[1,2],"l":["1","1"],"h":["1","1"],"o":"1"}}}
                """)
        case .bitstamp:
            return FakeResponse(status: 200, body: """
                {"high":"\(fixed(price + 100))","last":"\(fixed(price))","timestamp":"\(time)","bid":"\(fixed(bid))",\
                "vwap":"\(fixed(price))","volume":"1000.0","low":"\(fixed(price - 100))","ask":"\(fixed(ask))","open":"\(fixed(price))"}
                """)
        case .bitstampHistory:
            return history(request, server: server, now: time)
        }
    }

    /// Bitstamp `ohlc`: candles from `start` for at most `limit` steps, never
    /// past the current (unfinished) slot, minus the configured holes.
    private static func history(_ request: FakeHTTPRequest, server: FakePriceServer, now: Int) -> FakeResponse {
        let query = request.query
        guard let step = Int(query["step"] ?? ""), step == 600,
              let start = Int(query["start"] ?? ""), let limit = Int(query["limit"] ?? ""), (1...1000).contains(limit) else {
            return FakeResponse(status: 400, body: #"{"status":"error","reason":"bad step, start or limit"}"#)
        }
        let end = min(Int(query["end"] ?? "") ?? Int.max, now / 600 * 600 - 600)
        var rows: [String] = []
        var time = (start + 599) / 600 * 600
        while time <= end && rows.count < limit {
            if !server.isHole(time) {
                let open = server.price(at: time)
                let close = server.price(at: time + 600)
                rows.append(#"{"timestamp":"\#(time)","open":"\#(fixed(open))","high":"\#(fixed(max(open, close) + 10))","low":"\#(fixed(min(open, close) - 10))","close":"\#(fixed(close))","volume":"1.5"}"#)
            }
            time += 600
        }
        return FakeResponse(status: 200, body: #"{"data":{"pair":"BTC/USD","ohlc":[\#(rows.joined(separator: ","))]}}"#)
    }

    /// `GET /_fake/behaviour?source=alphavantage&mode=quota`: lets a test outside
    /// this process (the systemd and Docker end-to-end tests) break a source.
    static func control(_ request: FakeHTTPRequest, server: FakePriceServer) -> FakeResponse {
        let query = request.query
        if query["mode"] == "reset" {
            server.reset()
            return FakeResponse(status: 200, body: #"{"ok":true}"#)
        }
        guard let name = query["source"], let source = FakeSource(rawValue: name) else {
            return FakeResponse(status: 400, body: #"{"error":"source must be one of \#(FakeSource.allCases.map(\.rawValue))"}"#)
        }
        let behaviour: FakeBehaviour
        switch query["mode"] ?? "" {
        case "normal": behaviour = .normal
        case "quota": behaviour = .body(AlphaVantageBodies.dailyQuota(key: query["key"] ?? "SECRETKEY"))
        case "burst": behaviour = .body(AlphaVantageBodies.burst)
        case "invalid_key": behaviour = .body(AlphaVantageBodies.invalidKey)
        case "http500": behaviour = .body("internal error", status: 500)
        case "not_json": behaviour = .body(AlphaVantageBodies.notJSON)
        case "slow": behaviour = .slow(seconds: Double(query["seconds"] ?? "30") ?? 30)
        case "close": behaviour = .closeImmediately
        default:
            return FakeResponse(status: 400, body: #"{"error":"mode must be normal, quota, burst, invalid_key, http500, not_json, slow, close or reset"}"#)
        }
        server.set(source, behaviour)
        return FakeResponse(status: 200, body: #"{"ok":true}"#)
    }

    private static func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
}
