import BlockingCalls
import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP client over libcurl's easy interface: one handle per request, TLS
/// verification on, proxy variables (`https_proxy`, `no_proxy`, ...) honoured as
/// libcurl does by default, and a User-Agent that names the caller.
public struct CurlHTTPClient: Sendable {
    public let userAgent: String

    /// Opens nothing yet: libcurl is opened by the first request (`CurlGlobal`), so
    /// a process that holds a client it never uses (a watchdog whose sinks never
    /// fire; a `collect` whose slot is already written) never maps libcurl and its
    /// TLS stack, 7 MiB.
    public init(userAgent: String) {
        self.userAgent = userAgent
    }

    /// Runs the transfer on the pool for blocking calls (`Blocking`), never on
    /// the cooperative pool, because `curl_easy_perform` blocks until the transfer ends.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await Blocking.run { try self.perform(request) }
    }

    /// The blocking form of `send`.
    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        try CurlGlobal.ready()
        guard let handle = CCurl_easy_init() else {
            throw HTTPClientError.curl(code: -1, message: "curl_easy_init failed")
        }
        defer { CCurl_easy_cleanup(handle) }

        let sink = ResponseSink(limit: request.maxBodyBytes)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in request.headers {
            headerList = CCurl_slist_append(headerList, header)
        }
        defer { CCurl_slist_free_all(headerList) }

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            var options = CurlOptions(handle: handle)
            options.set(CURLOPT_URL, request.url)
            options.set(CURLOPT_USERAGENT, userAgent)
            // Only web schemes: a redirect or a config typo must not reach file:// or others.
            options.set(CURLOPT_PROTOCOLS_STR, "http,https")
            options.set(CURLOPT_FOLLOWLOCATION, 0)
            options.set(CURLOPT_SSL_VERIFYPEER, 1)
            options.set(CURLOPT_SSL_VERIFYHOST, 2)
            // Signals for timeouts are unsafe with threads; libcurl then relies on its resolver.
            options.set(CURLOPT_NOSIGNAL, 1)
            options.set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
            options.set(CURLOPT_TIMEOUT_MS, Int(request.totalTimeout * 1000))
            options.set(CURLOPT_ACCEPT_ENCODING, "")
            // Fails early when the server announces a length; ResponseSink caps the rest.
            options.setSize(CURLOPT_MAXFILESIZE_LARGE, request.maxBodyBytes)
            options.set(CURLOPT_ERRORBUFFER, pointer: errors.baseAddress)
            options.set(CURLOPT_HTTPHEADER, pointer: headerList)
            options.set(CURLOPT_WRITEFUNCTION, callback: ResponseSink.write)
            options.set(CURLOPT_WRITEDATA, pointer: sinkPointer.toOpaque())
            if request.method == .post {
                options.set(CURLOPT_POST, 1)
                options.setSize(CURLOPT_POSTFIELDSIZE_LARGE, request.body.count)
                // COPYPOSTFIELDS copies at once, so the Swift array may go away after.
                var body = request.body
                body.append(0)
                body.withUnsafeMutableBytes { options.set(CURLOPT_COPYPOSTFIELDS, pointer: $0.baseAddress) }
            }
            if let failure = options.firstFailure {
                return failure
            }
            return CCurl_easy_perform(handle)
        }

        let detail = errorBuffer.textUpToNUL
        let message = detail.isEmpty ? String(cString: CCurl_easy_strerror(code)) : detail
        if sink.exceeded {
            throw HTTPClientError.bodyTooLarge(limit: request.maxBodyBytes)
        }
        switch code {
        case CURLE_OK:
            break
        case CURLE_OPERATION_TIMEDOUT:
            throw HTTPClientError.timeout(message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw HTTPClientError.connectionFailed(message)
        case CURLE_FILESIZE_EXCEEDED:
            throw HTTPClientError.bodyTooLarge(limit: request.maxBodyBytes)
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR,
             CURLE_BAD_CONTENT_ENCODING:
            throw HTTPClientError.transferFailed(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            throw HTTPClientError.tlsFailed(message)
        default:
            throw HTTPClientError.curl(code: Int(code.rawValue), message: message)
        }

        var status = 0
        _ = CCurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var seconds = 0.0
        _ = CCurl_easy_getinfo_double(handle, CURLINFO_TOTAL_TIME, &seconds)
        return HTTPResponse(status: status, body: sink.bytes, duration: seconds, date: Self.dateHeader(handle))
    }

    /// The server's clock: its `Date` header (RFC 9110 asks every origin server
    /// with a clock to send one) in Unix seconds, parsed by libcurl's own
    /// `curl_getdate`, which reads all three HTTP date formats. Nil when absent or unreadable.
    static func dateHeader(_ handle: UnsafeMutableRawPointer) -> Int? {
        var header: UnsafeMutablePointer<curl_header>?
        // Origin 1 is CURLH_HEADER (a plain header of the final response); request -1: the last one.
        guard CCurl_easy_header(handle, "Date", 0, 1, -1, &header) == CURLHE_OK,
              let value = header?.pointee.value else { return nil }
        let time = CCurl_getdate(value)
        return time >= 0 ? Int(time) : nil
    }
}

/// libcurl is opened on first use (Sources/CCurl), then `curl_global_init` runs:
/// once, before any handle. A lazy `static let` runs its initialiser once, and
/// callers racing to it wait for it. Other threads are running by then (they
/// always were: every command is async); that is safe with a libcurl built
/// "threadsafe" (7.84 and later; `curl -V` lists it, Debian 12's 7.88 is).
enum CurlGlobal {
    /// Nil when ready; otherwise why not, in words for the journal. Failure is
    /// final for the process, as a link error would have been.
    private static let failure: String? = {
        if let problem = CurlLibrary.problemLoadingOnce() {
            return "libcurl is not usable: " + problem
        }
        // With CURLOPT_NOSIGNAL set (required with threads), libcurl no longer
        // shields us from SIGPIPE when a server closes the connection under a
        // write; its documentation asks the application to ignore the signal.
        signal(SIGPIPE, SIG_IGN)
        return CCurl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK ? nil : "curl_global_init failed"
    }()

    /// Throws the reason libcurl cannot be used in this process.
    static func ready() throws {
        if let failure { throw HTTPClientError.curl(code: -1, message: failure) }
    }
}
