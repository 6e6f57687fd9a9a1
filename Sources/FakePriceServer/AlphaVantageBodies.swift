/// The answers Alpha Vantage gives instead of data, word for word as
/// documented (see shared/reference/price-apis.md). All come with HTTP 200.
public enum AlphaVantageBodies {
    public static let invalidCall = #"{"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for CURRENCY_EXCHANGE_RATE."}"#
    public static let invalidKey = #"{"Error Message": "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."}"#
    /// Echoes the key, as the real one does.
    public static func dailyQuota(key: String) -> String {
        #"{"Information": "We have detected your API key as \#(key) and our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}"#
    }
    public static let dailyQuotaThankYou = #"{"Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}"#
    public static let burst = #"{"Information": "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day) and instantly remove all daily rate limits."}"#
    public static let oldNote = #"{"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency."}"#
    public static let premium = #"{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"}"#
    public static let demo = #"{"Information": "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It takes fewer than 20 seconds."}"#
    public static let otherInformation = #"{"Information": "Our servers are being upgraded; please try again later."}"#
    public static let notJSON = "<html><body>502 Bad Gateway</body></html>"
    public static let wrongShape = #"{"Realtime Currency Exchange Rate": {"1. From_Currency Code": "BTC"}}"#
    public static let emptyObject = "{}"
}
