#include "fsexport_shims.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

CURLcode fsx_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fsx_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fsx_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fsx_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fsx_curl_set_data_callback(CURL *handle, CURLoption option, fsx_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

CURLcode fsx_curl_set_progress_callback(CURL *handle, fsx_curl_progress_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

long fsx_curl_response_code(CURL *handle) {
    long code = 0;
    if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) return 0;
    return code;
}

int fsx_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

int fsx_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

int fsx_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

int fsx_limit_malloc_arenas(int count) {
#if defined(__GLIBC__)
    return mallopt(M_ARENA_MAX, count);
#else
    (void)count;
    return 0;
#endif
}
