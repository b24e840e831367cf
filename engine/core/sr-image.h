/* sr-image.h — a float image in memory.
 *
 * Pixels are 32-bit float, channels interleaved (1 = Y, 3 = RGB, 4 = RGBA),
 * rows top to bottom with no padding. Coordinates follow OpenEXR: the
 * display window is the full frame the element was framed in, the data window
 * is where pixels exist (the bounding box, "bbox"). The buffer covers exactly
 * the data window, so pixel (0,0) of the buffer sits at
 * (data_window.x, data_window.y) in display coordinates. Formats without a
 * bbox read with both windows equal to (0,0,width,height).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-error.h"

/* Largest width or height we accept from any file or setting: guards every
 * reader and allocation against absurd headers. 65536 px covers 64K scans. */
#define SR_IMAGE_MAX_DIM 65536
/* Largest pixel count (width*height) we allocate: 16K x 16K. */
#define SR_IMAGE_MAX_PIXELS (16384LL * 16384LL)

typedef struct sr_rect {
  int x, y, w, h;
} sr_rect;

typedef struct sr_attribute {
  char *key;
  char *value;
} sr_attribute;

typedef struct sr_image {
  int width, height, channels;
  float *pixels;
  sr_rect data_window; /* w == width, h == height */
  sr_rect display_window;
  /* Metadata carried from or to files (EXR header). */
  bool has_chromaticities;
  float chromaticities[8]; /* red x,y green x,y blue x,y white x,y */
  int n_attributes;
  sr_attribute *attributes; /* string attributes, owned */
} sr_image;

/* Allocates a zeroed image; windows set to (0,0,w,h). NULL + err on bad
 * sizes or no memory. */
sr_image *sr_image_new(int width, int height, int channels, sr_error *err);
void sr_image_free(sr_image *img);
sr_image *sr_image_copy(const sr_image *img, sr_error *err);

/* Copies a rectangle given in buffer coordinates; fails with a message when
 * the rectangle is empty or leaves the image. Windows of the result: data
 * window moves with the rectangle, display window is kept. */
sr_image *sr_image_crop(const sr_image *img, sr_rect r, sr_error *err);

/* Returns a new image with the given channel count: 1→3 replicates Y,
 * 3→4 adds alpha 1, 4→3 drops alpha, 3/4→1 takes Rec.709 luma. */
sr_image *sr_image_convert_channels(const sr_image *img, int channels, sr_error *err);

/* Pastes src into dst with src's top-left at (x,y) in dst buffer
 * coordinates; channel counts must match; clipped to dst. */
void sr_image_paste(sr_image *dst, const sr_image *src, int x, int y);

static inline float *
sr_image_row(const sr_image *img, int y)
{
  return img->pixels + (size_t)y * (size_t)img->width * (size_t)img->channels;
}

static inline size_t
sr_image_n_floats(const sr_image *img)
{
  return (size_t)img->width * (size_t)img->height * (size_t)img->channels;
}

/* Validates a size before allocating it; the message names `what`. */
bool sr_image_check_size(int width, int height, int channels, const char *what, sr_error *err);

/* Attributes: set (replacing an existing key) and get (NULL if absent). */
bool sr_image_set_attribute(sr_image *img, const char *key, const char *value, sr_error *err);
const char *sr_image_get_attribute(const sr_image *img, const char *key);
/* Sets n attributes at once, in n·log n (a repeated key keeps its first
 * place and takes its last value); readers of files with many use it. */
bool sr_image_set_attributes(sr_image *img, const sr_attribute *attrs, int n, sr_error *err);
/* Copies windows, chromaticities and attributes from src to dst. */
bool sr_image_copy_metadata(sr_image *dst, const sr_image *src, sr_error *err);

/* Counts NaN and infinite values. */
size_t sr_image_count_nonfinite(const sr_image *img);

static inline bool
sr_rect_is_empty(sr_rect r)
{
  return r.w <= 0 || r.h <= 0;
}

/* True when inner lies fully inside (0,0,width,height). */
static inline bool
sr_rect_inside(sr_rect inner, int width, int height)
{
  return inner.x >= 0 && inner.y >= 0 && inner.w > 0 && inner.h > 0 &&
         (long long)inner.x + inner.w <= width && (long long)inner.y + inner.h <= height;
}

static inline bool
sr_rect_equal(sr_rect a, sr_rect b)
{
  return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}
