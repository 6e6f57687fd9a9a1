import CCurl

/// Typed `curl_easy_setopt` calls through the C shim, remembering the first
/// failure so that a request is never sent half-configured.
struct CurlOptions {
    let handle: UnsafeMutableRawPointer
    private(set) var firstFailure: CURLcode?

    init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
    }

    mutating func set(_ option: CURLoption, _ value: Int) {
        record(CCurl_easy_setopt_long(handle, option, value))
    }

    mutating func setSize(_ option: CURLoption, _ value: Int) {
        record(CCurl_easy_setopt_off_t(handle, option, curl_off_t(value)))
    }

    mutating func set(_ option: CURLoption, _ value: String) {
        record(CCurl_easy_setopt_string(handle, option, value))
    }

    mutating func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) {
        record(CCurl_easy_setopt_pointer(handle, option, value))
    }

    mutating func set<T>(_ option: CURLoption, pointer value: UnsafeMutablePointer<T>?) {
        record(CCurl_easy_setopt_pointer(handle, option, UnsafeMutableRawPointer(value)))
    }

    mutating func set(_ option: CURLoption, callback: CCurl_data_callback) {
        record(CCurl_easy_setopt_callback(handle, option, callback))
    }

    private mutating func record(_ code: CURLcode) {
        if code != CURLE_OK, firstFailure == nil {
            firstFailure = code
        }
    }
}

/// Collects a response body up to a limit. libcurl's MAXFILESIZE acts only when
/// the length is announced, so a chunked or lying server is capped here: returning
/// less than was offered makes libcurl abort with CURLE_WRITE_ERROR.
final class ResponseSink {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var exceeded = false

    init(limit: Int) {
        self.limit = limit
    }

    static let write: CCurl_data_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        if sink.bytes.count + length > sink.limit {
            sink.exceeded = true
            return 0
        }
        buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
        return length
    }
}
