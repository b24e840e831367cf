/* sr-scopes.h — waveform and vectorscope as RGBA8 pictures.
 *
 * Scopes read display-referred RGB in [0,1] (convert scene-linear frames to
 * the training domain or sRGB first). Each scope is two steps: accumulate
 * hit counts into a grid of the requested size (sr_scope_*_counts), then
 * draw the counts plus graticule into RGBA8 (sr_scope_*). Large frames are
 * subsampled on a regular grid so a scope costs about the same whatever the
 * frame size (opts.max_samples).
 *
 * Waveform: x = frame column, y = value, 0 at the bottom row and 1 at the
 * top, with a 5 % margin either side so out-of-range values stay visible.
 * Vectorscope: a square of side min(width, height) centred in the picture;
 * Cb to the right, Cr up, ±0.5 at the circle's edge (the outer ring).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"

typedef enum sr_waveform_mode {
  SR_WAVEFORM_LUMA = 0, /* Y */
  SR_WAVEFORM_PARADE,   /* R, G and B side by side */
} sr_waveform_mode;

typedef struct sr_scope_options {
  int width, height; /* picture size, 16..8192 each */
  sr_waveform_mode mode;
  sr_ycbcr_matrix matrix; /* for Y and Cb/Cr */
  long max_samples;       /* pixels read at most (default 1 << 19); 0 = all */
  bool graticule;         /* default true */
  float gain;             /* trace brightness (default 1) */
} sr_scope_options;

void sr_scope_options_init(sr_scope_options *o, int width, int height);

/* Waveform value range drawn (bottom, top). */
#define SR_WAVEFORM_LO (-0.05f)
#define SR_WAVEFORM_HI (1.05f)

/* Row of a value in a waveform of height h (clamped to the picture). */
int sr_waveform_row(float value, int h);
/* Pixel of a (Cb, Cr) pair in a vectorscope picture of width w, height h. */
void sr_vectorscope_position(float cb, float cr, int w, int h, int *x, int *y);

/* The six colour targets (R, Mg, B, Cy, G, Yl) at `level` (0.75 or 1.0) as
 * Cb/Cr for the matrix. index 0..5 in that order; names "R", "Mg", ... */
void sr_vectorscope_target(sr_ycbcr_matrix m, int index, float level, float *cb, float *cr);
const char *sr_vectorscope_target_name(int index);
/* Skin-tone line angle, degrees counter-clockwise from +Cb. */
#define SR_VECTORSCOPE_SKIN_ANGLE 123.0

/* Hit counts, width*height uint32 (parade: the three channels share the
 * width, each in its own third). */
bool sr_scope_waveform_counts(const sr_image *img, const sr_scope_options *o, uint32_t *counts,
                              sr_error *err);
bool sr_scope_vectorscope_counts(const sr_image *img, const sr_scope_options *o, uint32_t *counts,
                                 sr_error *err);

/* Draws the scope into rgba (width*height*4 bytes, premultiplied-free,
 * opaque). */
bool sr_scope_waveform(const sr_image *img, const sr_scope_options *o, uint8_t *rgba,
                       sr_error *err);
bool sr_scope_vectorscope(const sr_image *img, const sr_scope_options *o, uint8_t *rgba,
                          sr_error *err);

/* Wraps an RGBA8 picture into a 4-channel float image (for sr_image_write
 * as PNG). */
sr_image *sr_scope_to_image(const uint8_t *rgba, int width, int height, sr_error *err);
