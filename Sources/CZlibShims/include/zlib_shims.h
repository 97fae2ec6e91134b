// zlib's inflateInit2 and deflateInit2 are macros, which Swift cannot call: functions for them.
#ifndef FSEXPORT_ZLIB_SHIMS_H
#define FSEXPORT_ZLIB_SHIMS_H

#include <zlib.h>

/// Inflate accepting gzip framing only (window bits 15 + 16).
int fsx_inflate_init_gzip(z_stream *stream);
/// Inflate accepting gzip or zlib framing (window bits 15 + 32).
int fsx_inflate_init_auto(z_stream *stream);
/// Deflate producing gzip framing at the given level.
int fsx_deflate_init_gzip(z_stream *stream, int level);

/// Deflate producing raw deflate data (no framing), for blocks joined into one gzip stream.
int fsx_deflate_init_raw(z_stream *stream, int level);
/// crc32_combine, whichever of its names the platform's zlib.h makes it.
unsigned long fsx_crc32_combine(unsigned long first, unsigned long second, long long secondLength);

#endif
