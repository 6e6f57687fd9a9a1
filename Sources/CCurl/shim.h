#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

/// curl_easy_setopt is variadic, and Swift cannot call variadic C functions.
/// Each wrapper below fixes the type of the third argument, the way
/// swift-corelibs-foundation's CFURLSession does.

/// For options whose value is a C long (timeouts, flags, limits).
static inline CURLcode CCurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// For options whose value is a 64-bit size (CURLOPT_MAXFILESIZE_LARGE and friends).
static inline CURLcode CCurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// For options whose value is a C string. libcurl copies strings (since 7.17),
/// so the Swift string may be freed after the call returns.
static inline CURLcode CCurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// For options whose value is an opaque pointer (CURLOPT_WRITEDATA, CURLOPT_READDATA,
/// CURLOPT_ERRORBUFFER, CURLOPT_HTTPHEADER, CURLOPT_MAIL_RCPT).
static inline CURLcode CCurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// The signature libcurl expects for CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION
/// and CURLOPT_READFUNCTION. A named typedef lets Swift pass a @convention(c) closure.
typedef size_t (*CCurl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

/// For the callback options above: a function pointer is not a data pointer in C,
/// so it needs its own wrapper.
static inline CURLcode CCurl_easy_setopt_callback(CURL *handle, CURLoption option, CCurl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_getinfo is variadic too: one wrapper per result type.
static inline CURLcode CCurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode CCurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
