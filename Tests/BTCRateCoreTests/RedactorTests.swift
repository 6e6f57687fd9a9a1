import BTCRateCore
import Testing

@Suite struct RedactorTests {
    @Test func masksTheKnownKeyAnywhere() {
        let redactor = Redactor(secrets: ["ABCD1234"])
        #expect(redactor.redact("x ABCD1234 y ABCD1234") == "x [REDACTED] y [REDACTED]")
    }

    @Test func masksKeysEchoedInMessagesAndURLs() {
        let redactor = Redactor()
        #expect(redactor.redact("We have detected your API key as ZZZ999 and our") == "We have detected your API key as [REDACTED] and our")
        #expect(redactor.redact("GET /query?function=X&apikey=QQQ111&x=1") == "GET /query?function=X&apikey=[REDACTED]&x=1")
    }

    @Test func anEmptyEchoDoesNotHideTheNextOne() {
        let redactor = Redactor()
        #expect(redactor.redact("apikey=&apikey=SECRET9") == "apikey=&apikey=[REDACTED]")
        #expect(redactor.redact("apikey=[REDACTED] apikey=Z1 API key as Q2") == "apikey=[REDACTED] apikey=[REDACTED] API key as [REDACTED]")
    }

    @Test func leavesOrdinaryTextAlone() {
        #expect(Redactor(secrets: ["abc"]).redact("abc def") == "abc def")
        #expect(Redactor().redact("rate limit is 25 requests per day") == "rate limit is 25 requests per day")
    }
}
