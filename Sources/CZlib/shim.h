/* zlib's deflate and inflate API for the Exposition module's gzip encoding (and its tests). The library comes from
 * the zlib1g-dev package; the release binary links its archive (see the Makefile). deflateInit2 is a macro, so
 * Swift calls deflateInit2_ with ZLIB_VERSION and the size of z_stream. */
#ifndef TALLY_CZLIB_SHIM_H
#define TALLY_CZLIB_SHIM_H

#include <zlib.h>

#endif
