// libcurl through dlopen: see include/CCurl.h for why.
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// The SONAME of Debian 12's libcurl4 (libcurl4-openssl-dev builds against it);
// the .deb and the image depend on that package by name.
#define CCURL_LIBRARY "libcurl.so.4"

struct functions {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int, struct curl_header **);
    time_t (*getdate)(const char *, const time_t *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
};

// Written once, under load_lock, before `loaded` is set; read without the lock
// after, by callers that saw CCurl_load return 0 (the Swift side runs it in a
// `static let`, whose one-time initialisation orders the two).
static struct functions curl;
static int loaded;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int resolve(void *library, const char *file, const char *name, void **slot, char *error, size_t size) {
    *slot = dlsym(library, name);
    if (*slot == NULL) {
        snprintf(error, size, "%s has no %s", file, name);
        return -1;
    }
    return 0;
}

int CCurl_load_named(const char *file, char *error, size_t size) {
    char ignored[1];
    if (error == NULL || size == 0) {
        error = ignored;
        size = sizeof ignored;
    }
    // RTLD_LOCAL: nothing else in the process binds to libcurl's symbols by accident.
    void *library = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(error, size, "cannot load %s: %s", file, why ? why : "unknown error");
        return -1;
    }
    // Resolved into a table of its own: a failure leaves the working one alone.
    struct functions found;
    if (resolve(library, file, "curl_global_init", (void **)&found.global_init, error, size) ||
        resolve(library, file, "curl_easy_init", (void **)&found.easy_init, error, size) ||
        resolve(library, file, "curl_easy_cleanup", (void **)&found.easy_cleanup, error, size) ||
        resolve(library, file, "curl_easy_perform", (void **)&found.easy_perform, error, size) ||
        resolve(library, file, "curl_easy_strerror", (void **)&found.easy_strerror, error, size) ||
        resolve(library, file, "curl_easy_header", (void **)&found.easy_header, error, size) ||
        resolve(library, file, "curl_getdate", (void **)&found.getdate, error, size) ||
        resolve(library, file, "curl_slist_append", (void **)&found.slist_append, error, size) ||
        resolve(library, file, "curl_slist_free_all", (void **)&found.slist_free_all, error, size) ||
        resolve(library, file, "curl_easy_setopt", (void **)&found.easy_setopt, error, size) ||
        resolve(library, file, "curl_easy_getinfo", (void **)&found.easy_getinfo, error, size)) {
        dlclose(library);
        return -1;
    }
    pthread_mutex_lock(&load_lock);
    if (!loaded) {
        curl = found;
        loaded = 1;
    }
    pthread_mutex_unlock(&load_lock);
    // The library stays open for the life of the process (dlopen counts references,
    // so a second load of the same file costs nothing).
    return 0;
}

int CCurl_load(char *error, size_t size) {
    pthread_mutex_lock(&load_lock);
    int done = loaded;
    pthread_mutex_unlock(&load_lock);
    return done ? 0 : CCurl_load_named(CCURL_LIBRARY, error, size);
}

CURLcode CCurl_global_init(long flags) { return curl.global_init(flags); }
CURL *CCurl_easy_init(void) { return curl.easy_init(); }
void CCurl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
CURLcode CCurl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *CCurl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
CURLHcode CCurl_easy_header(CURL *handle, const char *name, size_t index, unsigned int origin, int request,
                            struct curl_header **header) {
    return curl.easy_header(handle, name, index, origin, request, header);
}
time_t CCurl_getdate(const char *date) { return curl.getdate(date, NULL); }
struct curl_slist *CCurl_slist_append(struct curl_slist *list, const char *text) {
    return curl.slist_append(list, text);
}
void CCurl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode CCurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode CCurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode CCurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode CCurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode CCurl_easy_setopt_callback(CURL *handle, CURLoption option, CCurl_data_callback value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode CCurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode CCurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl.easy_getinfo(handle, info, value);
}
