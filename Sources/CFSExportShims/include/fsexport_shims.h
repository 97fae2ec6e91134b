// Typed entry points for the parts of libcurl and zlib that Swift cannot call:
// curl_easy_setopt / curl_easy_getinfo are variadic, inflateInit2 / deflateInit2 are macros.
#ifndef FSEXPORT_SHIMS_H
#define FSEXPORT_SHIMS_H

#include <curl/curl.h>
#include <zlib.h>

typedef size_t (*fsx_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*fsx_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                          curl_off_t ultotal, curl_off_t ulnow);

CURLcode fsx_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode fsx_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode fsx_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode fsx_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode fsx_curl_set_data_callback(CURL *handle, CURLoption option, fsx_curl_data_callback callback);
CURLcode fsx_curl_set_progress_callback(CURL *handle, fsx_curl_progress_callback callback);

long fsx_curl_response_code(CURL *handle);

/// Inflate accepting gzip framing only (window bits 15 + 16).
int fsx_inflate_init_gzip(z_stream *stream);
/// Inflate accepting gzip or zlib framing (window bits 15 + 32).
int fsx_inflate_init_auto(z_stream *stream);
/// Deflate producing gzip framing at the given level.
int fsx_deflate_init_gzip(z_stream *stream, int level);

/// Limits glibc's malloc arenas (mallopt is declared in <malloc.h>, outside Swift's Glibc module).
/// Returns 1 on success, 0 elsewhere.
int fsx_limit_malloc_arenas(int count);

#endif
