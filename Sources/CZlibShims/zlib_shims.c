#include "zlib_shims.h"

int fsx_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

int fsx_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

int fsx_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

int fsx_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

unsigned long fsx_crc32_combine(unsigned long first, unsigned long second, long long secondLength) {
    return crc32_combine(first, second, (z_off_t)secondLength);
}
