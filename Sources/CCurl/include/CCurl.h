#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>
#include <time.h>
#include <curl/curl.h>

/// libcurl, opened with dlopen on first use instead of linked.
///
/// Only `btcrate collect`, the watchdog and `btcrate healthcheck` speak HTTP or
/// SMTP. Linked, libcurl and its TLS, Kerberos, LDAP and SSH libraries were
/// mapped into every process, the graph service and its render workers too
/// (5.3 MiB of each one's Rss; README "Lean"). Swift code calls only the
/// CCurl_* functions below; the curl_* declarations that curl.h brings are for
/// types and constants, and calling one would fail to link, on purpose.

/// Opens libcurl.so.4 and resolves every function btcrate calls, once per
/// process. Returns 0, or -1 with dlerror()'s text in `error` (NUL-terminated,
/// cut to `size`). Safe to call from any thread, any number of times.
int CCurl_load(char *error, size_t size);

/// The same with another library file name (tests of the failure path). A failure
/// leaves what an earlier call loaded in place.
int CCurl_load_named(const char *file, char *error, size_t size);

/// The libcurl functions btcrate uses. Each must follow a CCurl_load that returned 0.
CURLcode CCurl_global_init(long flags);
CURL *CCurl_easy_init(void);
void CCurl_easy_cleanup(CURL *handle);
CURLcode CCurl_easy_perform(CURL *handle);
const char *CCurl_easy_strerror(CURLcode code);
CURLHcode CCurl_easy_header(CURL *handle, const char *name, size_t index, unsigned int origin, int request,
                            struct curl_header **header);
time_t CCurl_getdate(const char *date);
struct curl_slist *CCurl_slist_append(struct curl_slist *list, const char *text);
void CCurl_slist_free_all(struct curl_slist *list);

/// curl_easy_setopt is variadic, and Swift cannot call variadic C functions.
/// Each wrapper fixes the type of the third argument, the way
/// swift-corelibs-foundation's CFURLSession does.
/// For options whose value is a C long (timeouts, flags, limits).
CURLcode CCurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
/// For options whose value is a 64-bit size (CURLOPT_MAXFILESIZE_LARGE and friends).
CURLcode CCurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/// For options whose value is a C string. libcurl copies strings (since 7.17),
/// so the Swift string may be freed after the call returns.
CURLcode CCurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
/// For options whose value is an opaque pointer (CURLOPT_WRITEDATA, CURLOPT_READDATA,
/// CURLOPT_ERRORBUFFER, CURLOPT_HTTPHEADER, CURLOPT_MAIL_RCPT).
CURLcode CCurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);

/// The signature libcurl expects for CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION
/// and CURLOPT_READFUNCTION. A named typedef lets Swift pass a @convention(c) closure.
typedef size_t (*CCurl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

/// For the callback options above: a function pointer is not a data pointer in C,
/// so it needs its own wrapper.
CURLcode CCurl_easy_setopt_callback(CURL *handle, CURLoption option, CCurl_data_callback value);

/// curl_easy_getinfo is variadic too: one wrapper per result type.
CURLcode CCurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode CCurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);

#endif
