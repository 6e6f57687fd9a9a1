import CCurl

/// One mail to send over SMTP.
public struct MailMessage: Sendable {
    /// `smtp://host:587` (STARTTLS) or `smtps://host:465`. The path, if any, is the EHLO name.
    public var url: String
    public var from: String
    public var recipients: [String]
    /// The whole message, headers and body. Line ends are normalised to CRLF before
    /// sending: libcurl dot-stuffs only lines that follow a CRLF.
    public var content: String
    public var username: String?
    public var password: String?
    /// Refuse to send unless the connection is encrypted (STARTTLS on smtp://).
    public var requireTLS: Bool
    public var timeout: Double
    /// PEM file of the CA(s) to verify the server against instead of the system's.
    public var caFile: String?

    public init(url: String, from: String, recipients: [String], content: String, username: String? = nil,
                password: String? = nil, requireTLS: Bool = true, timeout: Double = 15, caFile: String? = nil) {
        self.url = url
        self.from = from
        self.recipients = recipients
        self.content = content
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.timeout = timeout
        self.caFile = caFile
    }

    /// `content` with every line end as CRLF.
    var wireBytes: [UInt8] {
        let lines = content.replacingCRLF.split(separator: "\n", omittingEmptySubsequences: false)
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}

extension String {
    fileprivate var replacingCRLF: String {
        var result = ""
        result.reserveCapacity(count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" { previousWasCR = true; continue }
            if previousWasCR && scalar != "\n" { result.unicodeScalars.append("\n") }
            previousWasCR = false
            result.unicodeScalars.append(scalar)
        }
        if previousWasCR { result.append("\n") }
        return result
    }
}

/// SMTP through libcurl: STARTTLS or implicit TLS, optional authentication,
/// certificate verification on.
public struct CurlMailer: Sendable {
    /// libcurl is opened by the first `send`, as for `CurlHTTPClient`.
    public init() {}

    public func send(_ message: MailMessage) throws {
        try CurlGlobal.ready()
        guard let handle = CCurl_easy_init() else {
            throw HTTPClientError.curl(code: -1, message: "curl_easy_init failed")
        }
        defer { CCurl_easy_cleanup(handle) }
        let source = UploadSource(message.wireBytes)
        let sourcePointer = Unmanaged.passRetained(source)
        defer { sourcePointer.release() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for recipient in message.recipients {
            recipients = CCurl_slist_append(recipients, "<\(recipient)>")
        }
        defer { CCurl_slist_free_all(recipients) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            var options = CurlOptions(handle: handle)
            options.set(CURLOPT_URL, message.url)
            options.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
            options.set(CURLOPT_MAIL_FROM, "<\(message.from)>")
            options.set(CURLOPT_MAIL_RCPT, pointer: recipients)
            options.set(CURLOPT_UPLOAD, 1)
            options.set(CURLOPT_READFUNCTION, callback: UploadSource.read)
            options.set(CURLOPT_READDATA, pointer: sourcePointer.toOpaque())
            if message.requireTLS {
                options.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            }
            options.set(CURLOPT_SSL_VERIFYPEER, 1)
            options.set(CURLOPT_SSL_VERIFYHOST, 2)
            if let caFile = message.caFile { options.set(CURLOPT_CAINFO, caFile) }
            if let username = message.username { options.set(CURLOPT_USERNAME, username) }
            if let password = message.password { options.set(CURLOPT_PASSWORD, password) }
            options.set(CURLOPT_NOSIGNAL, 1)
            options.set(CURLOPT_CONNECTTIMEOUT_MS, Int(min(message.timeout, 10) * 1000))
            options.set(CURLOPT_TIMEOUT_MS, Int(message.timeout * 1000))
            options.set(CURLOPT_ERRORBUFFER, pointer: errors.baseAddress)
            if let failure = options.firstFailure { return failure }
            return CCurl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer.textUpToNUL
            let text = detail.isEmpty ? String(cString: CCurl_easy_strerror(code)) : detail
            switch code {
            case CURLE_OPERATION_TIMEDOUT: throw HTTPClientError.timeout(text)
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST: throw HTTPClientError.connectionFailed(text)
            case CURLE_USE_SSL_FAILED, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION: throw HTTPClientError.tlsFailed(text)
            default: throw HTTPClientError.curl(code: Int(code.rawValue), message: text)
            }
        }
    }
}

/// Feeds the message to libcurl's read callback.
final class UploadSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static let read: CCurl_data_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let source = Unmanaged<UploadSource>.fromOpaque(context).takeUnretainedValue()
        let length = min(size * count, source.bytes.count - source.offset)
        guard length > 0 else { return 0 }
        source.bytes.withUnsafeBufferPointer { all in
            buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
                $0.update(from: all.baseAddress! + source.offset, count: length)
            }
        }
        source.offset += length
        return length
    }
}
