// Typed entry points for libcurl's variadic curl_easy_setopt and curl_easy_getinfo, which Swift
// cannot call directly.
#ifndef FSEXPORT_CURL_SHIMS_H
#define FSEXPORT_CURL_SHIMS_H

#include <curl/curl.h>

typedef size_t (*fsx_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*fsx_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                          curl_off_t ultotal, curl_off_t ulnow);

CURLcode fsx_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode fsx_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode fsx_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode fsx_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode fsx_curl_set_data_callback(CURL *handle, CURLoption option, fsx_curl_data_callback callback);
CURLcode fsx_curl_set_progress_callback(CURL *handle, fsx_curl_progress_callback callback);

typedef int (*fsx_curl_seek_callback)(void *context, curl_off_t offset, int origin);
CURLcode fsx_curl_set_seek_callback(CURL *handle, fsx_curl_seek_callback callback);

long fsx_curl_response_code(CURL *handle);

#endif
