/* sr-io-private.h — what the format modules of engine/io share.
 *
 * sr-io.c dispatches on the format; each sr-<format>.c implements a reader,
 * a header-only info reader and (except DPX) a writer. Nothing here is for
 * callers outside engine/io.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-io.h"

/* Threads worth using for chunk-parallel codecs (EXR): the online CPUs,
 * at most 8 — past that a single 2K frame has too few chunks to share. */
int sr_io_thread_count(void);

/* Clamps to [0,1] and scales to an integer code of `max` (255, 1023, 65535);
 * NaN goes to 0. */
static inline uint32_t
sr_io_quantize(float v, uint32_t max)
{
  if (!(v > 0.0f))
    return 0;
  if (v >= 1.0f)
    return max;
  return (uint32_t)(v * (float)max + 0.5f);
}

/* Stores errno of the first failed write through a format library's write
 * callback, so a full disk reads as SR_ERR_NOSPACE and not as a codec error. */
typedef struct sr_io_sink {
  int fd;
  int write_errno;
} sr_io_sink;

/* pwrite the whole buffer at offset; false with sink->write_errno set. */
bool sr_io_sink_pwrite(sr_io_sink *sink, const void *buf, size_t len, uint64_t offset);

bool sr_exr_read_info(const char *path, sr_image_info *info, sr_error *err);
sr_image *sr_exr_read(const char *path, sr_error *err);
bool sr_exr_read_attribute(const char *path, const char *key, char **value, sr_error *err);
bool sr_exr_write(const char *path, const char *temp_path, const sr_image *img,
                  const sr_write_options *opts, sr_error *err);

bool sr_png_read_info(const char *path, sr_image_info *info, sr_error *err);
sr_image *sr_png_read(const char *path, sr_error *err);
bool sr_png_write(const char *path, const char *temp_path, const sr_image *img,
                  const sr_write_options *opts, sr_error *err);

bool sr_tiff_read_info(const char *path, sr_image_info *info, sr_error *err);
sr_image *sr_tiff_read(const char *path, sr_error *err);
bool sr_tiff_write(const char *path, const char *temp_path, const sr_image *img,
                   const sr_write_options *opts, sr_error *err);

bool sr_dpx_read_info(const char *path, sr_image_info *info, sr_error *err);
sr_image *sr_dpx_read(const char *path, sr_error *err);
bool sr_dpx_write(const char *path, const char *temp_path, const sr_image *img,
                  const sr_write_options *opts, sr_error *err);

/* The DPX part of sr_image_info_suggest_colourspace (transfer and
 * colorimetric codes), in sr-dpx.c. */
bool sr_dpx_suggest_colourspace(const sr_image_info *info, sr_colourspace *space, char *why,
                                size_t cap);
