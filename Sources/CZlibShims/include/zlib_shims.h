// zlib's inflateInit2 and deflateInit2 are macros, which Swift cannot call: functions for them.
#ifndef FSEXPORT_ZLIB_SHIMS_H
#define FSEXPORT_ZLIB_SHIMS_H

#include <zlib.h>

/// Inflate accepting gzip framing only (window bits 15 + 16).
int fsx_inflate_init_gzip(z_stream *stream);
/// Deflate producing gzip framing at the given level.
int fsx_deflate_init_gzip(z_stream *stream, int level);

#endif
